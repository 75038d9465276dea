// The adapter's memory bandwidth, measured: a compute kernel reads a large storage buffer once (invocation i
// XORs elements i, i + n, i + 2n, … so neighbouring invocations read neighbouring vec4<u32>s) and writes only
// when an impossible value turns up, so nothing but the reads costs; the bytes read over the wall time of a
// batch of dispatches (after a warm-up batch) is the read bandwidth. It is the denominator of decode's
// physical bound: tokens/s ≤ bandwidth ÷ bytes read per token (weights + KV cache; evaluation/decode-bound). The WebGPU types are declared here (the DOM lib has none); browser only.

const WORKGROUP = 256;
const VEC4_PER_INVOCATION = 16;

interface GpuBuffer {
  size: number;
  destroy(): void;
}
interface ProbeDevice {
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupsPerDimension: number };
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): { getBindGroupLayout(i: number): unknown };
  createBindGroup(d: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBuffer } }[] }): unknown;
  createCommandEncoder(): {
    beginComputePass(): { setPipeline(p: unknown): void; setBindGroup(i: number, g: unknown): void; dispatchWorkgroups(x: number, y?: number): void; end(): void };
    finish(): unknown;
  };
  queue: { submit(c: unknown[]): void; onSubmittedWorkDone(): Promise<void> };
}

// GPUBufferUsage.STORAGE = 0x80
const STORAGE = 0x80;

const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  let total = arrayLength(&src);
  var acc = vec4<u32>(0u);
  // Invocation i reads elements i, i + n, i + 2n, …: neighbouring invocations read neighbouring vec4s.
  let stride = groups.x * groups.y * ${WORKGROUP}u;
  for (var k = 0u; k < ${VEC4_PER_INVOCATION}u; k++) {
    let index = invocation + k * stride;
    if (index < total) { acc ^= src[index]; }
  }
  if (acc.x == 0xffffffffu && acc.y == 0x12345678u) { dst[invocation % arrayLength(&dst)] = acc.z; }
}`;

export interface BandwidthResult {
  /** Read bandwidth, GB/s (10⁹ bytes), median over the batches, with the spread. */
  gbPerS: { median: number; min: number; max: number };
  bytesPerBatch: number;
  batches: number;
}

/** Reads a buffer of up to `maxBytes` (default 256 MiB, within the device's limits) `dispatches` times per batch. */
export async function measureReadBandwidth(device: ProbeDevice, { maxBytes = 256 * 2 ** 20, dispatches = 8, batches = 5 } = {}): Promise<BandwidthResult> {
  const limit = Math.min(maxBytes, device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const vec4s = Math.floor(limit / 16 / (WORKGROUP * VEC4_PER_INVOCATION)) * WORKGROUP * VEC4_PER_INVOCATION;
  if (vec4s <= 0) throw new Error('the device allows no storage buffer large enough for the bandwidth probe');
  const bytes = vec4s * 16;
  const src = device.createBuffer({ size: bytes, usage: STORAGE });
  const dst = device.createBuffer({ size: 4 * WORKGROUP, usage: STORAGE });
  try {
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
    const groups = vec4s / (WORKGROUP * VEC4_PER_INVOCATION);
    const maxX = device.limits.maxComputeWorkgroupsPerDimension;
    const [x, y] = groups <= maxX ? [groups, 1] : [maxX, Math.ceil(groups / maxX)];
    const batch = async () => {
      const encoder = device.createCommandEncoder();
      for (let i = 0; i < dispatches; i++) {
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(x, y);
        pass.end();
      }
      const started = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - started;
    };
    await batch(); // warm-up: pipeline compile, first touch of the buffer
    const rates: number[] = [];
    for (let i = 0; i < batches; i++) rates.push((bytes * dispatches) / ((await batch()) / 1000) / 1e9);
    rates.sort((a, b) => a - b);
    return { gbPerS: { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates[rates.length - 1] }, bytesPerBatch: bytes * dispatches, batches };
  } finally {
    src.destroy();
    dst.destroy();
  }
}
