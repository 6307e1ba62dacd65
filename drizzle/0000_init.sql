CREATE TABLE `app_users` (
	`app_id` text NOT NULL,
	`user_id` text NOT NULL,
	`scope` text NOT NULL,
	`status` text NOT NULL,
	`sync_state` text NOT NULL,
	`external_id` text,
	`user_name` text,
	`password_ciphertext` text,
	`profile` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	`status_changed` integer,
	`password_changed` integer,
	`last_sync` integer,
	PRIMARY KEY(`app_id`, `user_id`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `app_users_user_idx` ON `app_users` (`user_id`);--> statement-breakpoint
CREATE TABLE `apps` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`label` text NOT NULL,
	`label_lower` text NOT NULL,
	`status` text NOT NULL,
	`sign_on_mode` text NOT NULL,
	`features` text NOT NULL,
	`settings` text NOT NULL,
	`credentials` text NOT NULL,
	`accessibility` text NOT NULL,
	`visibility` text NOT NULL,
	`profile` text,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `apps_label_lower_idx` ON `apps` (`label_lower`);--> statement-breakpoint
CREATE INDEX `apps_name_idx` ON `apps` (`name`);--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_user_idx` ON `group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`name_lower` text NOT NULL,
	`description` text,
	`profile` text NOT NULL,
	`type` text DEFAULT 'OKTA_GROUP' NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	`last_membership_updated` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_name_lower_idx` ON `groups` (`name_lower`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`transitioning_to_status` text,
	`login` text NOT NULL,
	`login_lower` text NOT NULL,
	`email` text,
	`first_name` text,
	`last_name` text,
	`profile` text NOT NULL,
	`password_hash` text,
	`recovery_question` text,
	`recovery_answer_hash` text,
	`provider_type` text DEFAULT 'OKTA' NOT NULL,
	`provider_name` text DEFAULT 'OKTA' NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`activated` integer,
	`status_changed` integer,
	`last_login` integer,
	`last_updated` integer NOT NULL,
	`password_changed` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_login_lower_idx` ON `users` (`login_lower`);--> statement-breakpoint
CREATE INDEX `users_email_idx` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_status_id_idx` ON `users` (`status`,`id`);