/**
 * The agent card of a TaskBridge server: one skill per exposed task type, and capabilities taken from
 * what the server actually serves (hazard H7: streaming is advertised only when it is served).
 */
import type { AgentCard, AgentInterface, AgentSkill, SecurityRequirement, SecurityScheme } from '@a2a-js/sdk';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';

/** How one task type is described as a skill. Every field has a default. */
export interface SkillDescription {
  /** Default: the task type. */
  name?: string;
  /** Default: `Runs the TaskBridge task type "<type>".` */
  description?: string;
  /** Default: `['taskbridge']`. */
  tags?: readonly string[];
  /** Example prompts. Default: none. */
  examples?: readonly string[];
}

/** The parts of the card a host may set; the rest is derived. */
export interface AgentCardFields {
  /** Default `'TaskBridge agent'`. */
  name?: string;
  /** Default: a sentence naming the bridge. */
  description?: string;
  /** The agent's version. Default `'1.0.0'`. */
  version?: string;
  /** Default: none. */
  provider?: { organization: string; url: string };
  /** Default: none. */
  documentationUrl?: string;
  /** Default: none. */
  iconUrl?: string;
  /** How to authenticate (A2A security schemes). Default: none declared. */
  securitySchemes?: Record<string, SecurityScheme>;
  /** Default: none. */
  securityRequirements?: SecurityRequirement[];
}

/** Inputs of {@link buildAgentCard}. */
export interface AgentCardInput {
  /** Task types shown as skills, in order. */
  taskTypes: readonly string[];
  /** Absolute URL of the JSON-RPC endpoint. */
  endpointUrl: string;
  /** Whether SendStreamingMessage / SubscribeToTask are served (hazard H7). */
  streaming: boolean;
  /** Whether the 0.3 method names are accepted: the card then lists a 0.3 JSON-RPC interface too. */
  legacyCompat: boolean;
  fields?: AgentCardFields;
  skills?: Readonly<Record<string, SkillDescription>>;
}

const INPUT_MODES = ['application/json', 'text/plain'];
const OUTPUT_MODES = ['text/plain', 'application/json'];

function skillOf(taskType: string, described: SkillDescription = {}): AgentSkill {
  return {
    id: taskType,
    name: described.name ?? taskType,
    description: described.description ?? `Runs the TaskBridge task type "${taskType}".`,
    tags: [...(described.tags ?? ['taskbridge'])],
    examples: [...(described.examples ?? [])],
    inputModes: [...INPUT_MODES],
    outputModes: [...OUTPUT_MODES],
    securityRequirements: [],
  };
}

/** Builds the card (A2A 1.0 shape; the SDK translates it for 0.3 readers). */
export function buildAgentCard(input: AgentCardInput): AgentCard {
  const fields = input.fields ?? {};
  const primary: AgentInterface = {
    url: input.endpointUrl,
    protocolBinding: 'JSONRPC',
    tenant: '',
    protocolVersion: '1.0',
  };
  return {
    name: fields.name ?? 'TaskBridge agent',
    description:
      fields.description ??
      'TaskBridge task types as A2A skills: ordered, resumable task streams behind A2A.',
    supportedInterfaces: input.legacyCompat
      ? duplicateInterfacesForLegacy([primary], ['JSONRPC'])
      : [primary],
    provider: fields.provider,
    version: fields.version ?? '1.0.0',
    ...(fields.documentationUrl === undefined ? {} : { documentationUrl: fields.documentationUrl }),
    ...(fields.iconUrl === undefined ? {} : { iconUrl: fields.iconUrl }),
    capabilities: {
      streaming: input.streaming,
      pushNotifications: false,
      extensions: [],
      extendedAgentCard: false,
    },
    securitySchemes: { ...fields.securitySchemes },
    securityRequirements: [...(fields.securityRequirements ?? [])],
    defaultInputModes: [...INPUT_MODES],
    defaultOutputModes: [...OUTPUT_MODES],
    skills: input.taskTypes.map((type) => skillOf(type, input.skills?.[type])),
    signatures: [],
  };
}
