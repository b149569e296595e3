// The TensorFlow.js 4.22 reference: the assignment's models with Keras semantics, trained
// with `model.fit` on the main thread of this page, timed per epoch.
//
// Driven by bench/bench.mjs: `await window.benchRun({model, backend, epochs, trainSize, seed, threads})`
// resolves to {backend, history: [{epoch, seconds, trainSeconds, dispatchesPerStep, loss, val_loss}], params}
// or {error}. MNIST comes from the same four .gz files the app uses, decompressed here with
// DecompressionStream, so no preprocessing library is involved.
const tf = window.tf;

const log = (line) => { document.getElementById('log').textContent += `${line}\n`; };

// GPU dispatches TF.js' WebGPU backend encodes, counted as bench/lib/dispatches.mjs counts
// the app's (dispatchWorkgroups{,Indirect}), so the two columns' dispatches per step compare.
const gpu = { dispatches: 0 };
const pass = self.GPUComputePassEncoder?.prototype;
for (const name of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']) {
  const original = pass?.[name];
  if (original) pass[name] = function (...a) { gpu.dispatches++; return original.apply(this, a); };
}

async function gunzip(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The payload of an IDX file after its header (magic 0x0801 labels, 0x0803 images). */
async function idx(name, magic, count, itemSize) {
  const bytes = await gunzip(`mnist/${name}`);
  const view = new DataView(bytes.buffer);
  if (view.getUint32(0) !== magic || view.getUint32(4) !== count) throw new Error(`${name}: unexpected IDX header`);
  const offset = magic === 0x803 ? 16 : 8;
  if (bytes.length !== offset + count * itemSize) throw new Error(`${name}: unexpected length ${bytes.length}`);
  return bytes.subarray(offset);
}

let mnistPromise = null;
function mnist() {
  mnistPromise ??= (async () => {
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      idx('train-images-idx3-ubyte.gz', 0x803, 60000, 784),
      idx('train-labels-idx1-ubyte.gz', 0x801, 60000, 1),
      idx('t10k-images-idx3-ubyte.gz', 0x803, 10000, 784),
      idx('t10k-labels-idx1-ubyte.gz', 0x801, 10000, 1),
    ]);
    return { trainImages, trainLabels, testImages, testLabels };
  })();
  return mnistPromise;
}

/** Pixels scaled to [0, 1], as the notebook's `x / 255`. */
function scaled(pixels) {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

function oneHot(labels) {
  const out = new Float32Array(labels.length * 10);
  labels.forEach((label, i) => { out[i * 10 + label] = 1; });
  return out;
}

/** mulberry32: a small seeded generator, so the noise is the same in every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Salt-and-pepper noise: each pixel, with probability `amount`, becomes 0 or 1 (even odds). */
function saltAndPepper(pixels, amount, seed) {
  const next = random(seed);
  const out = Float32Array.from(pixels);
  for (let i = 0; i < out.length; i++) {
    if (next() < amount) out[i] = next() < 0.5 ? 0 : 1;
  }
  return out;
}

const glorot = (seed) => tf.initializers.glorotUniform({ seed });

/** The assignment's models, with their optimiser, loss and batch size (the seed's). */
const MODELS = {
  p2: (seed) => ({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 64, activation: 'relu', kernelInitializer: glorot(seed) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: glorot(seed + 1) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed + 2) }),
    ],
    optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'], batchSize: 128,
  }),
  // One network of the weight-decay sweep: Keras' l2(1e-4) on both hidden kernels.
  p2d: (seed) => ({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 500, activation: 'relu', kernelInitializer: glorot(seed), kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }) }),
      tf.layers.dense({ units: 300, activation: 'relu', kernelInitializer: glorot(seed + 1), kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed + 2) }),
    ],
    optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'], batchSize: 128,
  }),
  p3: (seed) => ({
    image: true,
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(seed) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: glorot(seed + 1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 200, activation: 'relu', kernelInitializer: glorot(seed + 2) }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: glorot(seed + 3) }),
      tf.layers.dropout({ rate: 0.5, seed }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(seed + 4) }),
    ],
    optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'], batchSize: 128,
  }),
  // The denoising autoencoder: noisy inputs, clean targets; Keras' Adam defaults but eps 1e-7.
  p4: (seed) => ({
    autoencoder: true,
    layers: [
      tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: glorot(seed) }),
      tf.layers.dense({ units: 96, activation: 'relu', kernelInitializer: glorot(seed + 1) }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: glorot(seed + 2) }),
      tf.layers.dense({ units: 784, activation: 'sigmoid', kernelInitializer: glorot(seed + 3) }),
    ],
    optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'binaryCrossentropy', metrics: [], batchSize: 64,
  }),
};

/** Reads a scalar so that everything queued before it (GPU backends) has finished. */
async function settle(value) {
  if (value instanceof tf.Tensor) await value.data();
}

/**
 * Per-epoch wall time. A bare `tf.Callback` (not the `{onEpochEnd}` object form) so that
 * TF.js does not read every batch's loss back: that would stall the GPU backends.
 *
 * TF.js validates inside the last batch's step, before that batch's `onBatchEnd`, so the
 * training part is taken at the end of the second-to-last batch and extended by one mean
 * step: trainSeconds = t(steps - 1 batches) * steps / (steps - 1).
 */
class EpochTimer extends tf.Callback {
  constructor(steps, history) {
    super();
    this.steps = steps;
    this.history = history;
  }

  async onEpochBegin() {
    this.started = performance.now();
    this.beforeLast = null;
    this.dispatchesAtStart = gpu.dispatches;
    this.dispatchesBeforeLast = null;
  }

  async onBatchEnd(batch, logs) {
    if (batch === this.steps - 2) {
      await settle(logs?.loss);
      this.beforeLast = performance.now();
      // Every op of these steps is encoded once its loss has settled.
      this.dispatchesBeforeLast = gpu.dispatches;
    }
  }

  async onEpochEnd(epoch, logs) {
    await settle(logs?.val_loss);
    const seconds = (performance.now() - this.started) / 1000;
    const trainSeconds = this.beforeLast === null ? null
      : ((this.beforeLast - this.started) / 1000) * this.steps / (this.steps - 1);
    const read = async (v) => (v instanceof tf.Tensor ? (await v.data())[0] : v ?? null);
    // Training steps only (the last step and validation left out, as trainSeconds does).
    const dispatchesPerStep = this.dispatchesBeforeLast === null || this.dispatchesBeforeLast === this.dispatchesAtStart ? null
      : (this.dispatchesBeforeLast - this.dispatchesAtStart) / (this.steps - 1);
    this.history.push({ epoch: epoch + 1, seconds, trainSeconds, dispatchesPerStep, loss: await read(logs?.loss), val_loss: await read(logs?.val_loss) });
    log(`epoch ${epoch + 1}: ${seconds.toFixed(2)} s`);
  }
}

/** Selects the backend; wasm's binaries are served beside its bundle. */
async function useBackend(name, threads) {
  if (name === 'wasm') {
    tf.wasm.setWasmPaths(new URL('vendor/tfjs-backend-wasm/', location.href).href);
    // Threads need a cross-origin isolated page (the server's ?isolated=1). The page reports
    // what TF.js ended with: on a 2-core machine it said 1 thread even when asked for 2.
    if (threads) tf.wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
  const details = { backend: tf.getBackend() };
  if (name === 'wasm') details.wasm = { threads: tf.wasm.getThreadsCount?.() ?? null, crossOriginIsolated };
  return details;
}

window.benchRun = async ({ model: name, backend, epochs, trainSize, seed = 1, threads = null }) => {
  const keep = [];
  try {
    const details = await useBackend(backend, threads);
    const data = await mnist();
    const spec = MODELS[name]?.(seed);
    if (!spec) throw new Error(`unknown model '${name}'`);
    const shape = (n) => (spec.image ? [n, 28, 28, 1] : [n, 784]);
    const trainPixels = scaled(data.trainImages.subarray(0, trainSize * 784));
    const testPixels = scaled(data.testImages);
    let x, y, xTest, yTest;
    if (spec.autoencoder) {
      x = tf.tensor(saltAndPepper(trainPixels, 0.4, seed), shape(trainSize));
      y = tf.tensor(trainPixels, shape(trainSize));
      xTest = tf.tensor(saltAndPepper(testPixels, 0.4, seed + 1), shape(10000));
      yTest = tf.tensor(testPixels, shape(10000));
    } else {
      x = tf.tensor(trainPixels, shape(trainSize));
      y = tf.tensor(oneHot(data.trainLabels.subarray(0, trainSize)), [trainSize, 10]);
      xTest = tf.tensor(testPixels, shape(10000));
      yTest = tf.tensor(oneHot(data.testLabels), [10000, 10]);
    }
    keep.push(x, y, xTest, yTest);
    const model = tf.sequential({ layers: spec.layers });
    model.compile({ optimizer: spec.optimizer, loss: spec.loss, metrics: spec.metrics });
    const history = [];
    const steps = Math.ceil(trainSize / spec.batchSize);
    await model.fit(x, y, {
      batchSize: spec.batchSize, epochs, shuffle: true, validationData: [xTest, yTest], verbose: 0,
      // No yielding to the event loop inside fit: the fastest TF.js can train on this thread.
      yieldEvery: 'never',
      callbacks: [new EpochTimer(steps, history)],
    });
    const params = model.countParams();
    model.dispose();
    return { ...details, history, params, batchSize: spec.batchSize, steps };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  } finally {
    keep.forEach((t) => t.dispose());
  }
};

/** Which WebGPU adapter this browser offers (for the report's header). */
window.benchAdapter = async () => {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
};

window.benchReady = true;
