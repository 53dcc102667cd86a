// The table of hostile request generators: every family, each generating its variants from
// one seed, so that a round of requests is reproducible.
import type { Fixture, HostileCase } from './case.js';
import { brokenJson, deepNesting, invalidUtf8, oversized, unknownFields, wrongTypes } from './families-body.js';
import { hugeNames, mediaTypes, methodsAndPaths, nonAscii, patches } from './families-path.js';
import { badContinue, badQueryValues, badResourceVersions, badSelectors } from './families-query.js';
import { Prng } from './prng.js';

type Generator = (rng: Prng, fx: Fixture) => HostileCase[];

/** Every family, by name. */
export const FAMILIES: Readonly<Record<string, Generator>> = {
  brokenJson, deepNesting, wrongTypes, unknownFields, invalidUtf8, oversized, hugeNames, nonAscii, methodsAndPaths, mediaTypes, patches,
  badSelectors, badResourceVersions, badContinue, badQueryValues,
};

/** The cases of every family for `seed`, family by family (each family has its own stream of the seed). */
export function generateCases(seed: number, fx: Fixture): Map<string, HostileCase[]> {
  const out = new Map<string, HostileCase[]>();
  Object.entries(FAMILIES).forEach(([name, gen], i) => out.set(name, gen(new Prng(seed * 1000 + i), fx)));
  return out;
}
