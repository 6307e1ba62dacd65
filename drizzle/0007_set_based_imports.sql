ALTER TABLE `import_items` ADD `digest` text;--> statement-breakpoint
CREATE INDEX `users_name_idx` ON `users` (`last_name`,`first_name`);