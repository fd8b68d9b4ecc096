/** The README's group examples, shown by the OpenAPI document next to each shape. */

const groupId = "5b0c2f4e-8d7a-4f41-9f0e-2c6a1d3e9b70";

export const groupExamples = {
  groupId,
  created: {
    id: groupId,
    status: "running",
    failFast: true,
    jobs: [
      { id: "0d7c7e52-6b39-4c8e-9a52-2f1a4d8a6c11", status: "queued" },
      { id: "9e4b1c3a-2f6d-4b7e-8c1d-5a3f2e1b0c9d", status: "queued" },
    ],
  },
  group: {
    id: groupId,
    status: "failed",
    failFast: true,
    done: true,
    total: 2,
    counts: { queued: 0, running: 0, succeeded: 0, failed: 0, dead: 1, cancelled: 1 },
    failedBy: "0d7c7e52-6b39-4c8e-9a52-2f1a4d8a6c11",
    createdAt: "2026-11-29T22:00:00.000Z",
    failedAt: "2026-11-29T22:00:00.412Z",
  },
};
