/** The feed section's HTML: the scrolling list, its next-page sentinel, and an item's detail. */
import type { FeedItem, FeedListPage } from "@edge-async/paginated-feed/client";
import { Layout } from "./layout.tsx";

function query(topic: string | undefined, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  if (topic !== undefined) params.set("topic", topic);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** One page of items, and a sentinel that loads the next page when scrolled into view. */
export function FeedItems(props: { page: FeedListPage; topic: string | undefined }) {
  const { page, topic } = props;
  return (
    <>
      {page.items.map((item) => (
        <li data-item={item.id}>
          <a href={`/feed/items/${item.id}`}>{item.title}</a>
          <div class="meta">
            {item.topic} · <time datetime={item.publishedAt}>{item.publishedAt}</time>
            {item.author === null ? null : ` · ${item.author}`}
          </div>
        </li>
      ))}
      {page.nextCursor === null ? (
        <li class="meta" id="feed-end">
          End of the feed.
        </li>
      ) : (
        <li
          class="meta"
          hx-get={`/feed/items${query(topic, { cursor: page.nextCursor })}`}
          hx-trigger="revealed"
          hx-swap="outerHTML"
        >
          Loading more…
        </li>
      )}
    </>
  );
}

/** The feed page: the topic filter, the export link and the first page of items. */
export function FeedPage(props: { page: FeedListPage; topic: string | undefined }) {
  return (
    <Layout title="Feed" section="feed" signedIn>
      <form method="get" action="/feed" class="row">
        <div>
          <label for="topic">Topic</label>
          <input
            id="topic"
            name="topic"
            value={props.topic ?? ""}
            maxlength={64}
            placeholder="any"
          />
        </div>
        <div>
          <button type="submit">Filter</button>
        </div>
        <div>
          <a class="button secondary" href={`/feed/export${query(props.topic)}`} download>
            Export (NDJSON)
          </a>
        </div>
      </form>
      <h2>Items, newest first</h2>
      <ul class="feed" id="feed-items" aria-live="polite">
        <FeedItems page={props.page} topic={props.topic} />
      </ul>
    </Layout>
  );
}

/** One item with every field. */
export function ItemDetail(props: { item: FeedItem }) {
  const { item } = props;
  const rows: [string, string | null][] = [
    ["id", String(item.id)],
    ["topic", item.topic],
    ["author", item.author],
    ["published", item.publishedAt],
    ["stored", item.createdAt],
    ["updated", item.updatedAt],
    ["external key", item.externalKey],
  ];
  return (
    <Layout title={item.title} section="feed" signedIn>
      <p>
        <a href="/feed">← Feed</a>
      </p>
      <p>
        <a href={item.url} rel="noopener noreferrer">
          {item.url}
        </a>
      </p>
      {item.summary === null ? null : <p>{item.summary}</p>}
      <section class="table-wrap" aria-label="Item fields" tabindex={0}>
        <table>
          <tbody>
            {rows.map(([name, value]) => (
              <tr>
                <th scope="row">{name}</th>
                <td class="mono">{value ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
