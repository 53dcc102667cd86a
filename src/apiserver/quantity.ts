// resource.Quantity as Kubernetes writes it (k8s.io/apimachinery/pkg/api/resource/quantity.go):
// <signed number><suffix>, the suffix binary (Ki Mi Gi Ti Pi Ei), decimal (n u m "" k M G T P E)
// or a decimal exponent (e3, E-2). Only the value matters here, as a number.

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const FACTORS: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The value of a quantity (`512Mi`, `1.5G`, `100`, `1e3`), or undefined when it is not one. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, number = '', suffix = ''] = m;
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : FACTORS[suffix];
  return factor === undefined ? undefined : Number(number) * factor;
}

/** `bytes` the way a person reads it: the largest binary unit that keeps it whole (`512Mi`, `3Gi`, `100`). */
export function formatBytes(bytes: number): string {
  for (const [unit, factor] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
