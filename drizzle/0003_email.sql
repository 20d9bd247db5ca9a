CREATE TABLE "email_acknowledgements" (
	"sender" text PRIMARY KEY NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"count" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_attachments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"filename" text,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"content" "bytea",
	"drop_reason" text,
	"content_id" text,
	"inline" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_inbound" (
	"mailbox_id" text NOT NULL,
	"message_key" text NOT NULL,
	"message_id" uuid NOT NULL,
	"interaction_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reason" text NOT NULL,
	"size" integer NOT NULL,
	"captured_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_inbound_mailbox_id_message_key_pk" PRIMARY KEY("mailbox_id","message_key")
);
--> statement-breakpoint
CREATE TABLE "email_mailbox_items" (
	"mailbox_id" text NOT NULL,
	"item_key" text NOT NULL,
	"uid_validity" bigint,
	"uid" bigint,
	"uidl" text,
	"message_key" text NOT NULL,
	"outcome" text NOT NULL,
	"action" text NOT NULL,
	"removed_at" timestamp with time zone,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_mailbox_items_mailbox_id_item_key_pk" PRIMARY KEY("mailbox_id","item_key")
);
--> statement-breakpoint
CREATE TABLE "email_mailboxes" (
	"id" text PRIMARY KEY NOT NULL,
	"uid_validity" bigint,
	"last_uid" bigint DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"retry_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_poll_at" timestamp with time zone,
	"last_captured" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_messages" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"interaction_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"mailbox_id" text,
	"rfc_message_id" text,
	"in_reply_to" text,
	"references" text[] DEFAULT '{}' NOT NULL,
	"addresses" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"subject" text,
	"html" text,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw" "bytea",
	"raw_truncated" boolean DEFAULT false NOT NULL,
	"size" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_sends" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"rfc_message_id" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"smtp_response" text,
	"last_error" text,
	"accepted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "email_attachments_message_idx" ON "email_attachments" USING btree ("message_id","position");--> statement-breakpoint
CREATE INDEX "email_inbound_quarantined_idx" ON "email_inbound" USING btree ("captured_at") WHERE "email_inbound"."kind" = 'quarantined';--> statement-breakpoint
CREATE INDEX "email_mailbox_items_pending_idx" ON "email_mailbox_items" USING btree ("mailbox_id") WHERE "email_mailbox_items"."removed_at" is null and "email_mailbox_items"."action" <> 'keep';--> statement-breakpoint
CREATE INDEX "email_messages_rfc_idx" ON "email_messages" USING btree ("rfc_message_id");--> statement-breakpoint
CREATE INDEX "email_messages_interaction_idx" ON "email_messages" USING btree ("interaction_id","created_at");