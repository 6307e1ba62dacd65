CREATE TABLE `oauth_client_secrets` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` text NOT NULL,
	`created` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_updated` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oauth_client_secrets_app_idx` ON `oauth_client_secrets` (`app_id`,`id`);--> statement-breakpoint
CREATE TABLE `oauth_revoked_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oauth_revoked_tokens_expiry_idx` ON `oauth_revoked_tokens` (`expires_at`);