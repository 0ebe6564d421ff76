/**
 * A hand-scripted A2A agent: a valid card, and a JSON-RPC endpoint whose answer each test writes
 * itself (any status, content type, frames, or a stream that never ends). For hazard tests of the
 * consume side: agents that misbehave the way real servers do.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AgentCard, StreamResponse, type Task, TaskState } from '@a2a-js/sdk';
import { createArtifact, createMessage, textPart } from '@taskbridge/server-reference/a2a';

/** A parsed JSON-RPC request the agent received. */
export interface RpcCall {
  id: number | string | null;
  method: string;
  params: Record<string, unknown>;
}

/** Writes the answer to one call. */
export type Script = (call: RpcCall, res: ServerResponse) => void;

/** A running scripted agent. */
export interface ScriptedAgent {
  url: string;
  card: AgentCard;
  /** Every call received, in order. */
  calls: RpcCall[];
  /** Responses still open (a test may leave them hanging). */
  open: Set<ServerResponse>;
  close(): Promise<void>;
}

/** Starts an agent on 127.0.0.1:0 answering every JSON-RPC call with `script`. */
export async function startScriptedAgent(script: Script): Promise<ScriptedAgent> {
  const calls: RpcCall[] = [];
  const open = new Set<ServerResponse>();
  const holder: { card?: AgentCard } = {};
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(holder.card));
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const call = JSON.parse(body) as RpcCall;
      calls.push(call);
      open.add(res);
      res.on('close', () => open.delete(res));
      script(call, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: 'scripted',
    description: 'scripted test agent',
    version: '1.0.0',
    provider: undefined,
    supportedInterfaces: [
      { url: `${url}/a2a`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
    ],
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [],
    signatures: [],
  };
  holder.card = card;
  return {
    url,
    card,
    calls,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Starts an SSE answer (200, `text/event-stream`). */
export function beginSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

/** Writes one stream response as a JSON-RPC SSE frame answering `call`. */
export function sendFrame(res: ServerResponse, call: RpcCall, response: StreamResponse): void {
  res.write(
    `data: ${JSON.stringify({ jsonrpc: '2.0', id: call.id, result: StreamResponse.toJSON(response) })}\n\n`,
  );
}

/** A task in `state` with one `story` artifact holding `chunks` (cumulative, as a snapshot holds them). */
export function taskResponse(id: string, state: TaskState, chunks: readonly string[] = []): StreamResponse {
  const task: Task = {
    id,
    contextId: `ctx-${id}`,
    status: { state, message: undefined, timestamp: new Date().toISOString() },
    artifacts: chunks.length > 0 ? [createArtifact('story', chunks.map(textPart))] : [],
    history: [],
    metadata: {},
  };
  return { payload: { $case: 'task', value: task } };
}

/** One appended chunk of the `story` artifact. */
export function chunkResponse(id: string, text: string, append = true): StreamResponse {
  return {
    payload: {
      $case: 'artifactUpdate',
      value: {
        taskId: id,
        contextId: `ctx-${id}`,
        artifact: createArtifact('story', [textPart(text)]),
        append,
        lastChunk: false,
        metadata: undefined,
      },
    },
  };
}

/** A status update (with an agent message when `text` is given). */
export function statusResponse(id: string, state: TaskState, text?: string): StreamResponse {
  return {
    payload: {
      $case: 'statusUpdate',
      value: {
        taskId: id,
        contextId: `ctx-${id}`,
        status: {
          state,
          message:
            text === undefined
              ? undefined
              : createMessage({ messageId: `${id}-${state}`, role: 'agent', parts: [textPart(text)] }),
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      },
    },
  };
}

export { TaskState };
