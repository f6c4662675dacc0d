export { McpServerConnection, type McpConnectionOptions } from './connection.js';
export { inputSchemaFromJsonSchema, type ConvertedInputSchema, type JsonSchemaObject } from './input-schema.js';
export {
  isHttpServer,
  MCP_SERVER_NAME,
  mcpHttpServerSchema,
  mcpServerConfigSchema,
  mcpStdioServerSchema,
  mcpToolOverrideSchema,
  type McpHttpServerConfig,
  type McpServerConfig,
  type McpStdioServerConfig,
  type McpToolOverride,
} from './server-config.js';
export { actionNameFor, effectFromAnnotations, toolToAction, type McpToolOutput } from './tool-action.js';
export { McpToolSource, type McpToolsChange, type McpToolSourceOptions } from './tool-source.js';
export { createArborMcpServer, type ActionSearchIndex, type ArborMcpServer, type ArborMcpServerOptions, type ServeApproval } from './action-server.js';
export { hostMcpOverHttp, type ConnectableMcpServer, type HostMcpOverHttpOptions, type McpHttpHost } from './http-host.js';
export { serveActionsOverHttp, serveActionsOverStdio } from './serve.js';
