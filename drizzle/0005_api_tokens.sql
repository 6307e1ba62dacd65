CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`user_id` text,
	`client_name` text NOT NULL,
	`bootstrap` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`network` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	`last_used` integer,
	`expires_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_idx` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_status_idx` ON `api_tokens` (`status`,`id`);