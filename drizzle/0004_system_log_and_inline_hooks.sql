CREATE TABLE `inline_hooks` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`version` text NOT NULL,
	`status` text NOT NULL,
	`uri` text NOT NULL,
	`headers` text NOT NULL,
	`auth_key` text,
	`auth_box` text,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `log_events` (
	`uuid` text PRIMARY KEY NOT NULL,
	`published` integer NOT NULL,
	`event_type` text NOT NULL,
	`severity` text NOT NULL,
	`display_message` text NOT NULL,
	`outcome` text NOT NULL,
	`actor` text NOT NULL,
	`target` text NOT NULL,
	`debug_context` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `log_events_published_idx` ON `log_events` (`published`,`uuid`);--> statement-breakpoint
CREATE INDEX `log_events_type_idx` ON `log_events` (`event_type`,`published`);