ALTER TABLE "email_inbound" ADD COLUMN "content_hash" text;--> statement-breakpoint
ALTER TABLE "email_sends" ADD COLUMN "lease_until" timestamp with time zone;