// Chromium flags for the e2e suite and bench/browser-memory.ts: WebGPU on (SwiftShader where there is no
// GPU), and nothing that reaches the network or runs first-run setup.

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
