import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ActionSpace } from '../actions/index.js';
import { Executor } from '../execution/index.js';
import { createTempStore } from '../internal/temp-store.js';
import { McpToolSource } from '../mcp/index.js';
import { percentile, type Benchmark } from './benchmark.js';

const catalogServer = fileURLToPath(new URL('../mcp/fixtures/catalog-server.js', import.meta.url));

/**
 * MCP import and call overhead, against the 1,280-tool catalog server over stdio: the time to connect and
 * turn every tool into an action, next to a bare SDK client's connect + tools/list; then per-call latency
 * of the same tool through Arbor (validated, recorded in SQLite) and through the bare SDK client, interleaved.
 */
export const mcpBenchmark: Benchmark = {
  name: 'mcp',
  description: 'import of a 1,280-tool MCP server, and ms per recorded MCP call vs a bare SDK call',
  async run({ full, log }) {
    const calls = full ? 2_000 : 300;
    const rounds = full ? 5 : 3;
    const temp = createTempStore('arbor-bench-mcp-');
    // Interleaved rounds: each spawns a fresh server, so machine noise hits both sides alike.
    const bareImports: number[] = [];
    const arborImports: number[] = [];
    let bare: Client | undefined;
    let source: McpToolSource | undefined;
    let toolCount = 0;
    for (let round = 0; round < rounds; round++) {
      await bare?.close();
      await source?.close();
      let started = performance.now();
      bare = new Client({ name: 'bench', version: '0' });
      await bare.connect(new StdioClientTransport({ command: process.execPath, args: [catalogServer], stderr: 'ignore' }));
      toolCount = (await bare.listTools()).tools.length;
      bareImports.push(performance.now() - started);
      started = performance.now();
      source = await McpToolSource.connect('catalog', { command: process.execPath, args: [catalogServer] });
      arborImports.push(performance.now() - started);
    }
    if (bare === undefined || source === undefined) throw new Error('no rounds');
    const arborImportMs = percentile(arborImports, 50);
    const bareImportMs = percentile(bareImports, 50);
    try {
      const space = new ActionSpace();
      source.attach(space);
      const run = await new Executor({ store: temp.store, actions: space }).startRun({ task: 'bench' });
      const viaArbor: number[] = [];
      const viaSdk: number[] = [];
      for (let i = 0; i < calls; i++) {
        let t = performance.now();
        await run.call('catalog.github_get_user', { id: `u${i}` });
        viaArbor.push(performance.now() - t);
        t = performance.now();
        await bare.callTool({ name: 'github_get_user', arguments: { id: `u${i}` } });
        viaSdk.push(performance.now() - t);
      }
      await run.end();
      const result = {
        tools: toolCount,
        actions: space.size,
        importMs: { arbor: round(arborImportMs), bareSdkConnectAndList: round(bareImportMs) },
        callMs: {
          arbor: { p50: round(percentile(viaArbor, 50)), p99: round(percentile(viaArbor, 99)) },
          bareSdk: { p50: round(percentile(viaSdk, 50)), p99: round(percentile(viaSdk, 99)) },
        },
        calls,
        rounds,
      };
      log(`import ${result.tools} tools (median of ${rounds}, spawn included): Arbor ${result.importMs.arbor} ms (actions with validated schemas) vs bare SDK connect + tools/list ${result.importMs.bareSdkConnectAndList} ms`);
      log(`per call (${calls} each, interleaved): Arbor p50 ${result.callMs.arbor.p50} ms, p99 ${result.callMs.arbor.p99} ms vs bare SDK p50 ${result.callMs.bareSdk.p50} ms, p99 ${result.callMs.bareSdk.p99} ms`);
      return result;
    } finally {
      await source.close();
      await bare.close();
      await temp.cleanup();
    }
  },
};

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
