// The upstream CL5 extension's blocks as TurboWarp sees them (getInfo of cloudlink-omega/cl5 v1.0.1):
// facts for converting its projects, in upstream-cl5-blocks.json.
import json from './upstream-cl5-blocks.json' with { type: 'json' };

export interface UpstreamArgument {
  type: string;
  defaultValue?: unknown;
  menu?: string;
}

export interface UpstreamBlock {
  opcode: string;
  blockType: string;
  text: string;
  args: Record<string, UpstreamArgument>;
}

// A JSON import is typed by its contents; these are the shapes it holds.
export const UPSTREAM = json as unknown as {
  source: string;
  id: string;
  name: string;
  blocks: UpstreamBlock[];
  menus: Record<string, { text: string; value: string }[]>;
};
