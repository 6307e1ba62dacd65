CREATE TABLE `app_provisioning` (
	`app_id` text PRIMARY KEY NOT NULL,
	`base_url` text NOT NULL,
	`auth_scheme` text NOT NULL,
	`credentials_box` text NOT NULL,
	`connection_status` text NOT NULL,
	`requests_per_second` integer DEFAULT 25 NOT NULL,
	`capabilities` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `group_push_mappings` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`source_group_id` text NOT NULL,
	`target_group_id` text,
	`target_group_name` text,
	`status` text NOT NULL,
	`error_summary` text,
	`last_push` integer,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`source_group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `group_push_app_source_idx` ON `group_push_mappings` (`app_id`,`source_group_id`);--> statement-breakpoint
CREATE INDEX `group_push_source_idx` ON `group_push_mappings` (`source_group_id`);