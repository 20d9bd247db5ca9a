/**
 * The standard response library in Postgres: kept in line with the configuration, searched by agents
 * with full-text queries, and suggested for an interaction by how well each response's keywords (then
 * title, then body) match what the customer wrote. One GIN index serves both.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { ResponseConfig } from './desk-config.ts';

/** The text configuration of the index: English stemming, so "orders" finds "order". */
const LANGUAGE = 'english';
/** How much of the customer's text a suggestion looks at. */
const SUGGESTION_TEXT_CHARACTERS = 4_000;

export interface ResponseSummary {
  id: string;
  title: string;
  channel: string;
  workgroups: string[];
  keywords: string[];
  rank: number;
}

export interface ResponseView extends ResponseSummary {
  body: string;
}

/** Makes desk_responses equal to the configured responses (inside the transaction that applies a configuration). */
export async function syncResponses(tx: TransactionSql, responses: readonly ResponseConfig[], now: Date): Promise<void> {
  await tx`delete from desk_responses where not (id = any(${responses.map((r) => r.id)}::text[]))`;
  for (const r of responses) {
    await tx`
      insert into desk_responses (id, title, body, keywords, channel, workgroups, search, updated_at)
      values (${r.id}, ${r.title}, ${r.body}, ${r.keywords}::text[], ${r.channel}, ${r.workgroups}::text[],
              setweight(to_tsvector(${LANGUAGE}::regconfig, array_to_string(${r.keywords}::text[], ' ')), 'A') ||
              setweight(to_tsvector(${LANGUAGE}::regconfig, ${r.title}), 'B') ||
              setweight(to_tsvector(${LANGUAGE}::regconfig, ${r.body}), 'D'),
              ${now})
      on conflict (id) do update set title = excluded.title, body = excluded.body, keywords = excluded.keywords,
        channel = excluded.channel, workgroups = excluded.workgroups, search = excluded.search, updated_at = excluded.updated_at
      where (desk_responses.title, desk_responses.body, desk_responses.keywords, desk_responses.channel, desk_responses.workgroups)
        is distinct from (excluded.title, excluded.body, excluded.keywords, excluded.channel, excluded.workgroups)`;
  }
}

interface Row {
  id: string;
  title: string;
  body: string;
  channel: string;
  workgroups: string[];
  keywords: string[];
  rank: number;
}

const summary = (row: Omit<Row, 'body'>): ResponseSummary => ({
  id: row.id,
  title: row.title,
  channel: row.channel,
  workgroups: row.workgroups,
  keywords: row.keywords,
  rank: Number(row.rank),
});

export interface ResponseSearch {
  /** Words to look for (web-search syntax: `refund -partial "credit note"`); none lists every response. */
  query?: string | undefined;
  channel?: string | undefined;
  /** Only responses for these workgroups (or for every workgroup); null: all. */
  workgroups: string[] | null;
  limit: number;
}

export async function searchResponses(sql: Sql, search: ResponseSearch): Promise<ResponseView[]> {
  const query = search.query?.trim() ? search.query.trim() : null;
  const rows = await sql<Row[]>`
    select r.id, r.title, r.body, r.channel, r.workgroups, r.keywords,
           ${query === null ? sql`0` : sql`ts_rank(r.search, websearch_to_tsquery(${LANGUAGE}::regconfig, ${query}))`} as rank
    from desk_responses r
    where ${query === null ? sql`true` : sql`r.search @@ websearch_to_tsquery(${LANGUAGE}::regconfig, ${query})`}
      and ${search.channel === undefined ? sql`true` : sql`r.channel in ('both', ${search.channel})`}
      and ${search.workgroups === null ? sql`true` : sql`(cardinality(r.workgroups) = 0 or r.workgroups && ${search.workgroups}::text[])`}
    order by rank desc, r.title, r.id
    limit ${search.limit}`;
  return rows.map((row) => ({ ...summary(row), body: row.body }));
}

/**
 * Responses for an interaction, best first: those for its channel and workgroup whose words appear in
 * its subject and the customer's latest messages, ranked by ts_rank (keywords weigh most).
 */
export async function suggestResponses(
  sql: Sql | TransactionSql,
  interactionId: string,
  limit: number,
  /** The interaction as it is being created (its row and message not written yet): channel, workgroup, the customer's words. */
  creating?: { channel: string; workgroup: string | null; text: string },
): Promise<ResponseSummary[]> {
  const source = creating
    ? sql`select ${creating.channel}::text as channel, ${creating.workgroup}::text as workgroup, left(${creating.text}, ${SUGGESTION_TEXT_CHARACTERS}) as text`
    : sql`
      select channel, workgroup,
             left(coalesce(subject, '') || ' ' || coalesce((
               select string_agg(body, ' ') from (
                 select body from messages where interaction_id = ${interactionId} and direction = 'in' order by created_at desc limit 3
               ) latest), ''), ${SUGGESTION_TEXT_CHARACTERS}) as text
      from interactions where id = ${interactionId}`;
  const rows = await sql<Omit<Row, 'body'>[]>`
    with i as (${source}),
    q as (
      -- The customer's words as an OR query (plainto_tsquery quotes every lexeme; its ANDs become ORs).
      select nullif(replace(plainto_tsquery(${LANGUAGE}::regconfig, i.text)::text, ' & ', ' | '), '')::tsquery as query from i
    )
    select r.id, r.title, r.channel, r.workgroups, r.keywords, ts_rank(r.search, q.query) as rank
    from desk_responses r, q, i
    where q.query is not null and r.search @@ q.query
      and r.channel in ('both', i.channel)
      and (cardinality(r.workgroups) = 0 or i.workgroup = any(r.workgroups))
    order by rank desc, r.id
    limit ${limit}`;
  return rows.map(summary);
}
