import { expectProblem } from "@edge-async/testing";
import fc from "fast-check";
import { SaxesParser } from "saxes";
import { beforeEach, describe, expect, it } from "vitest";
import { xmlText } from "../src/syndication/xml-text.ts";
import { api, ingest, makeItem, resetItems } from "./helpers.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");

beforeEach(resetItems);

/** An element of a parsed Atom document: its name, attributes, text and children. */
export interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlNode[];
}

/** Parses `xml` with saxes, a conformant XML parser: any well-formedness error throws. */
export function parseXml(xml: string): XmlNode {
  const parser = new SaxesParser({ xmlns: true });
  const root: XmlNode = { name: "#document", attributes: {}, text: "", children: [] };
  const stack: XmlNode[] = [root];
  parser.on("error", (error) => {
    throw error;
  });
  parser.on("opentag", (tag) => {
    const attributes: Record<string, string> = {};
    for (const [name, attribute] of Object.entries(tag.attributes)) {
      attributes[name] = typeof attribute === "string" ? attribute : attribute.value;
    }
    const node: XmlNode = { name: tag.local ?? tag.name, attributes, text: "", children: [] };
    if (tag.uri !== undefined) node.attributes["#ns"] = tag.uri;
    stack.at(-1)!.children.push(node);
    stack.push(node);
  });
  parser.on("text", (text) => {
    stack.at(-1)!.text += text;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(xml).close();
  return root.children[0]!;
}

const child = (node: XmlNode, name: string) => node.children.find((c) => c.name === name);
const children = (node: XmlNode, name: string) => node.children.filter((c) => c.name === name);

describe("GET /v1/feed.atom", () => {
  it("is a well-formed Atom feed, newest first, with RFC 5005 links", async () => {
    const stored = await ingest(
      Array.from({ length: 5 }, (_, i) => makeItem(T0 + i * 1000, { title: `Post ${i}` })),
    );
    const response = await api("/v1/feed.atom?limit=3");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const feed = parseXml(await response.text());
    expect(feed.name).toBe("feed");
    expect(feed.attributes["#ns"]).toBe("http://www.w3.org/2005/Atom");
    const entries = children(feed, "entry");
    expect(entries.map((e) => child(e, "title")!.text)).toEqual(["Post 4", "Post 3", "Post 2"]);
    expect(child(entries[0]!, "id")!.text).toBe(`http://feed.test/v1/items/${stored[4]!.id}`);
    const rels = Object.fromEntries(
      children(feed, "link").map((l) => [l.attributes.rel, l.attributes.href]),
    );
    expect(rels.first).toBe("http://feed.test/v1/feed.atom?limit=3");
    const next = await api(rels.next!.replace("http://feed.test", ""));
    const older = children(parseXml(await next.text()), "entry");
    expect(older.map((e) => child(e, "title")!.text)).toEqual(["Post 1", "Post 0"]);
  });
});

/** Checks the JSON Feed 1.1 required fields and types (and the optional ones this API writes). */
function expectJsonFeed(document: unknown): asserts document is {
  items: { id: string; title: string; content_text: string; summary?: string }[];
  next_url?: string;
} {
  const feed = document as Record<string, unknown>;
  expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
  expect(typeof feed.title).toBe("string");
  expect(Array.isArray(feed.items)).toBe(true);
  for (const key of ["home_page_url", "feed_url", "next_url"]) {
    if (key in feed) expect(URL.canParse(feed[key] as string), key).toBe(true);
  }
  for (const item of feed.items as Record<string, unknown>[]) {
    expect(typeof item.id).toBe("string");
    // 1.1: content_html or content_text, at least one.
    expect(typeof item.content_text === "string" || typeof item.content_html === "string").toBe(
      true,
    );
    for (const date of ["date_published", "date_modified"]) {
      expect(new Date(item[date] as string).toISOString()).toBe(item[date]);
    }
    if ("authors" in item) {
      for (const author of item.authors as { name: unknown }[]) {
        expect(typeof author.name).toBe("string");
      }
    }
  }
}

describe("GET /v1/feed.json", () => {
  it("is a JSON Feed 1.1 document, newest first, with next_url to the older page", async () => {
    await ingest(Array.from({ length: 4 }, (_, i) => makeItem(T0 + i, { title: `Post ${i}` })));
    await ingest([makeItem(T0 + 9, { title: "Elsewhere", topic: "go", summary: "" })]);
    const response = await api("/v1/feed.json?topic=rust&limit=3");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/feed+json");
    const feed = JSON.parse(await response.text());
    expectJsonFeed(feed);
    expect(feed.items.map((item) => item.title)).toEqual(["Post 3", "Post 2", "Post 1"]);
    const next = await api(feed.next_url!.replace("http://feed.test", ""));
    const older = JSON.parse(await next.text());
    expectJsonFeed(older);
    expect(older.items.map((item) => item.title)).toEqual(["Post 0"]);
    expect(older.next_url).toBeUndefined();
    // An item without a summary says its title as content_text.
    const go = JSON.parse(await (await api("/v1/feed.json?topic=go")).text());
    expectJsonFeed(go);
    expect(go.items[0]).toMatchObject({ title: "Elsewhere", content_text: "Elsewhere" });
    expect(go.items[0]!.summary).toBeUndefined();
  });

  it("leaves out items stored after the walk's first page (the listing's snapshot rule)", async () => {
    await ingest(Array.from({ length: 4 }, (_, i) => makeItem(T0 + i * 10, { title: `Old ${i}` })));
    const first = JSON.parse(await (await api("/v1/feed.json?limit=2")).text());
    expectJsonFeed(first);
    // Published between the items of the next page: without the snapshot it would appear there.
    await ingest([makeItem(T0 + 5, { title: "Late" })]);
    const rest = JSON.parse(
      await (await api(first.next_url!.replace("http://feed.test", ""))).text(),
    );
    expectJsonFeed(rest);
    expect(rest.items.map((item) => item.title)).toEqual(["Old 1", "Old 0"]);
  });
});

describe("ETags", () => {
  it.each(["/v1/feed.json", "/v1/feed.atom"])(
    "%s has a strong ETag, 304 while it matches, a new one after a write",
    async (path) => {
      await ingest([makeItem(T0)]);
      const first = await api(path);
      const tag = first.headers.get("etag")!;
      expect(tag).toMatch(/^"[^"]+"$/);
      const again = await api(path, { headers: { "if-none-match": tag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
      await ingest([makeItem(T0 + 1)]);
      const changed = await api(path, { headers: { "if-none-match": tag } });
      expect(changed.status).toBe(200);
      expect(changed.headers.get("etag")).not.toBe(tag);
    },
  );
});

// Text a feed must carry safely: markup, CDATA ends, entities, controls XML 1.0 forbids, CR,
// noncharacters U+FFFE/U+FFFF, astral characters.
const hostilePiece = fc.constantFrom(
  "<script>alert(1)</script>",
  "]]>",
  "&amp;",
  "&",
  "<",
  '"',
  "'",
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "\t",
  "\n",
  "\r",
  "\r\n",
  "\ufffe",
  "\uffff",
  "\ufffd",
  "😀",
  "𝔘",
  "e\u0301",
  "<![CDATA[x]]>",
  "<?xml?>",
  "true",
);
const hostileText = fc
  .array(fc.oneof(hostilePiece, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 8 })
  .map((pieces) => `x${pieces.join("")}`);

describe("hostile text", () => {
  it("every feed parses and reads back each stored title and summary (Atom: after the replacement)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ title: hostileText, summary: hostileText, author: hostileText }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (texts) => {
          await resetItems();
          await ingest(texts.map((text, i) => makeItem(T0 + i, text)));
          const newestFirst = [...texts].reverse();
          const atom = parseXml(await (await api("/v1/feed.atom")).text());
          const entries = children(atom, "entry");
          expect(entries.map((e) => child(e, "title")!.text)).toEqual(
            newestFirst.map((text) => xmlText(text.title)),
          );
          expect(entries.map((e) => child(e, "summary")!.text)).toEqual(
            newestFirst.map((text) => xmlText(text.summary)),
          );
          expect(entries.map((e) => child(child(e, "author")!, "name")!.text)).toEqual(
            newestFirst.map((text) => xmlText(text.author)),
          );
          const json = JSON.parse(await (await api("/v1/feed.json")).text());
          expectJsonFeed(json);
          expect(json.items.map((item) => [item.title, item.summary])).toEqual(
            newestFirst.map((text) => [text.title, text.summary]),
          );
        },
      ),
      { numRuns: 60 },
    );
  }, 180_000);

  it('a hostile topic (even "true") reaches the Atom category and title intact', async () => {
    for (const topic of ["true", "<b>&amp;</b>", "a\u2028b 😀", "]]>"]) {
      await ingest([makeItem(T0, { topic })]);
      const feed = parseXml(
        await (await api(`/v1/feed.atom?${new URLSearchParams({ topic })}`)).text(),
      );
      expect(child(feed, "title")!.text).toBe(`paginated-feed: ${topic}`);
      expect(child(children(feed, "entry")[0]!, "category")!.attributes.term).toBe(topic);
    }
  });

  it("xmlText replaces exactly what XML 1.0 forbids", () => {
    expect(xmlText("a\u0000b\u0008c\u000bd\u001fe\ufffef\uffffg")).toBe(
      "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg",
    );
    expect(xmlText("\t\n\r\u007f\u0085 😀 \ud7ff\ue000\ufffd")).toBe(
      "\t\n\r\u007f\u0085 😀 \ud7ff\ue000\ufffd",
    );
    expect(xmlText("lone \ud800 surrogate")).toBe("lone \ufffd surrogate");
  });
});

describe("feed errors", () => {
  it.each(["/v1/feed.atom?limit=0", "/v1/feed.json?cursor=abc", "/v1/feed.json?topic=%20"])(
    "%s answers 400 problem+json",
    async (path) => {
      const response = await api(path);
      expect(response.status).toBe(400);
      await expectProblem(response);
    },
  );
});
