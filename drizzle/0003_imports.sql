CREATE TABLE `import_items` (
	`session_id` text NOT NULL,
	`seq` integer NOT NULL,
	`external_id` text NOT NULL,
	`user_name` text NOT NULL,
	`active` integer NOT NULL,
	`profile` text NOT NULL,
	`result` text,
	`matched_user_id` text,
	`decision` text NOT NULL,
	`detail` text,
	PRIMARY KEY(`session_id`, `seq`),
	FOREIGN KEY (`session_id`) REFERENCES `import_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `import_items_external_idx` ON `import_items` (`session_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `import_items_result_idx` ON `import_items` (`session_id`,`result`);--> statement-breakpoint
CREATE TABLE `import_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`type` text NOT NULL,
	`trigger` text NOT NULL,
	`dry_run` integer NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`cursor` text,
	`counters` text NOT NULL,
	`safeguard` text,
	`error` text,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	`completed` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `import_sessions_app_idx` ON `import_sessions` (`app_id`,`created`);--> statement-breakpoint
CREATE INDEX `import_sessions_status_idx` ON `import_sessions` (`status`);--> statement-breakpoint
CREATE TABLE `org_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`last_updated` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `app_provisioning` ADD `inbound` text;--> statement-breakpoint
ALTER TABLE `app_provisioning` ADD `last_full_import_at` integer;--> statement-breakpoint
ALTER TABLE `app_provisioning` ADD `last_incremental_import_at` integer;--> statement-breakpoint
CREATE INDEX `app_users_external_idx` ON `app_users` (`app_id`,`external_id`);