import { workerSuite } from "@edge-async/testing/vitest";

export default workerSuite({ root: import.meta.dirname });
