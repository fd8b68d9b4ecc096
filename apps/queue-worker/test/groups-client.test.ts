import { describe, expect, expectTypeOf, it } from "vitest";
import type * as z from "zod";
import type { CreatedGroup, Group, GroupPage, GroupStreamLine } from "../src/client.ts";
import type * as contract from "../src/groups-contract.ts";
import { deliver, recordingClient } from "./fixtures/jobs.ts";

// The client's group methods against the worker itself (recordingClient), and its hand-written
// types proved equal to the route's schemas.

const later = { delaySeconds: 3600 };

describe("the client's group types", () => {
  it("equal the schemas the worker declares", () => {
    expectTypeOf<Group>().toEqualTypeOf<z.output<typeof contract.groupView>>();
    expectTypeOf<CreatedGroup>().toEqualTypeOf<z.output<typeof contract.createdGroup>>();
    expectTypeOf<GroupPage["group"]>().toEqualTypeOf<
      z.output<typeof contract.groupPage>["group"]
    >();
  });
});

describe("createQueueClient's groups", () => {
  it("creates a group, pages its children and follows it to its summary", async () => {
    const { queue, requests } = recordingClient();
    const created = await queue.createGroup({
      failFast: true,
      jobs: [
        { type: "simulate", payload: { durationMs: 1 }, ...later },
        { type: "simulate", payload: { durationMs: 1 }, ...later, concurrencyKey: "tenant-a" },
      ],
    });
    expect(requests.at(-1)).toBe("POST /v1/groups");
    expect(created).toMatchObject({ failFast: true, status: "running" });
    expect(created.jobs).toHaveLength(2);

    const first = await queue.group(created.id, { limit: 1 });
    expect(first.hasMore).toBe(true);
    const second = await queue.group(created.id, { limit: 1, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((job) => job.id).sort()).toEqual(
      created.jobs.map((job) => job.id).sort(),
    );
    expect(second.items.concat(first.items).some((job) => job.concurrencyKey === "tenant-a")).toBe(
      true,
    );

    await deliver(created.jobs.map((job) => job.id));
    const lines: GroupStreamLine[] = [];
    for await (const line of queue.followGroup(created.id)) lines.push(line);
    expect(requests.at(-1)).toBe(`GET /v1/groups/${created.id}?stream=ndjson`);
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({ summary: { status: "succeeded", done: true } });

    const missing = await queue.group(crypto.randomUUID()).catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404 });
    const bad = await queue.createGroup({ jobs: [] }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ status: 400 });
  });
});
