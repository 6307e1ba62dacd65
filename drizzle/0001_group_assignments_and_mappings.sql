CREATE TABLE `app_groups` (
	`app_id` text NOT NULL,
	`group_id` text NOT NULL,
	`priority` integer NOT NULL,
	`profile` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	PRIMARY KEY(`app_id`, `group_id`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `app_groups_app_priority_idx` ON `app_groups` (`app_id`,`priority`);--> statement-breakpoint
CREATE INDEX `app_groups_group_idx` ON `app_groups` (`group_id`);--> statement-breakpoint
CREATE TABLE `app_user_schemas` (
	`app_id` text PRIMARY KEY NOT NULL,
	`custom` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `profile_mappings` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`properties` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `profile_mappings_app_idx` ON `profile_mappings` (`app_id`);--> statement-breakpoint
ALTER TABLE `app_users` ADD `overrides` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
-- Backfill (hand-written): before this migration an app user's profile was exactly what was set
-- for it, so all of it is an override; and every app gets its Okta user -> app user mapping.
UPDATE `app_users` SET `overrides` = `profile`;--> statement-breakpoint
INSERT INTO `profile_mappings` (`id`, `app_id`, `properties`, `last_updated`)
SELECT 'prm' || substr(lower(hex(randomblob(9))), 1, 17), `id`, '{}', unixepoch('subsec') * 1000 FROM `apps`;
