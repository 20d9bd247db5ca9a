CREATE TABLE "sms_inbound" (
	"provider" text NOT NULL,
	"provider_message_id" text NOT NULL,
	"number" text NOT NULL,
	"sender" text NOT NULL,
	"message_id" uuid NOT NULL,
	"interaction_id" uuid,
	"keyword" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sms_inbound_provider_provider_message_id_pk" PRIMARY KEY("provider","provider_message_id")
);
--> statement-breakpoint
CREATE TABLE "sms_message_status" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"provider_message_id" text NOT NULL,
	"status" text NOT NULL,
	"error_code" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sms_message_status_once" UNIQUE("message_id","status")
);
--> statement-breakpoint
CREATE TABLE "sms_opt_out_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"sender" text NOT NULL,
	"action" text NOT NULL,
	"keyword" text NOT NULL,
	"provider" text NOT NULL,
	"provider_message_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sms_opt_outs" (
	"number" text NOT NULL,
	"sender" text NOT NULL,
	"opted_out" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sms_opt_outs_number_sender_pk" PRIMARY KEY("number","sender")
);
--> statement-breakpoint
CREATE TABLE "sms_originals" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sms_inbound_message_idx" ON "sms_inbound" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "sms_opt_out_events_sender_idx" ON "sms_opt_out_events" USING btree ("number","sender","id");