CREATE TABLE `app_integrations` (
	`app_id` text PRIMARY KEY NOT NULL,
	`catalog_name` text,
	`catalog_version` text,
	`cloned_from` text,
	`offered` text NOT NULL,
	`provisioning_draft` text,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `app_link_orders` (
	`user_id` text PRIMARY KEY NOT NULL,
	`app_ids` text NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `password_deliveries` (
	`app_id` text NOT NULL,
	`user_id` text NOT NULL,
	`password_version` integer NOT NULL,
	`requested` integer NOT NULL,
	PRIMARY KEY(`app_id`, `user_id`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `web_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`token_box` text,
	`csrf` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `web_sessions_subject_idx` ON `web_sessions` (`kind`,`subject`);--> statement-breakpoint
CREATE INDEX `web_sessions_expires_idx` ON `web_sessions` (`expires`);