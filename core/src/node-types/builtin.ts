import builtinNodes from '@piper/nodes';
import { NodeTypeRegistry } from './registry.js';

/** A registry holding the built-in node types, which are always present. */
export function createRegistry(): NodeTypeRegistry {
  const registry = new NodeTypeRegistry();
  registry.register(builtinNodes);
  return registry;
}
