import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from './junit.ts';
import { FAILURE_MESSAGE, syntheticResults } from './synthetic-results.ts';

interface Testcase {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  properties?: { property: Array<{ '@_name': string; '@_value': string }> };
  failure?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
}

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  }).parse(xml);
  const suite = doc.testsuites.testsuite[0];
  return { root: doc.testsuites, suite, cases: suite.testcase as Testcase[] };
}

describe('junit.xml', () => {
  it('is well-formed XML with one suite and the right counts (3 scenarios + the canary case)', () => {
    const { root, suite, cases } = parse(renderJunit(syntheticResults()));
    expect(root.testsuite).toHaveLength(1);
    for (const node of [root, suite]) {
      expect(node).toMatchObject({ '@_tests': '4', '@_failures': '2', '@_errors': '0', '@_skipped': '1', '@_time': '7.500' });
    }
    expect(cases.map((c) => [c['@_classname'], c['@_name'], c['@_time']])).toEqual([
      ['reconnect', 'S01: Desktop WSS dropped → reconnects by itself', '4.321'],
      ['tokens', 'S02: User WSS token refused after 4 h', '0.987'],
      ['tls', 'S03: DPI re-signing fails closed', '0.000'],
      ['canary', 'secret canary scan', '0.000'],
    ]);
  });

  it('gives a failure its message (markup and colour codes made safe) and its stack', () => {
    const { cases } = parse(renderJunit(syntheticResults()));
    const failure = cases[1]!.failure!;
    expect(failure['@_type']).toBe('AssertionError');
    // fast-xml-parser leaves entities in attributes encoded unless asked; decode the five XML ones
    const decode = (s: string) =>
      s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
    expect(decode(failure['@_message'])).toBe(FAILURE_MESSAGE);
    expect(decode(failure['#text'])).toContain('at scenarios/src/scenarios/tokens.ts:42:7');
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[2]!.skipped?.['@_message']).toBe('mitmproxy is not installed');
  });

  it("lists each scenario's claims, tags, needs, seed and metrics as properties", () => {
    const { suite, cases } = parse(renderJunit(syntheticResults()));
    const props = cases[0]!.properties!.property.map((p) => [p['@_name'], p['@_value']]);
    expect(props).toEqual([
      ['claim', 'NS-01'],
      ['tag', 'reconnect'],
      ['tag', 'network'],
      ['needs', 'toxiproxy'],
      ['seed', '1001'],
      ['metric.reconnect time', '1234.5 ms'],
    ]);
    expect(suite.properties.property.map((p: { '@_name': string }) => p['@_name'])).toEqual([
      'runId',
      'driver',
      'seed',
      'startedAt',
      'finishedAt',
    ]);
  });

  it('names the shard among the run properties when the run was one part of a split suite', () => {
    const results = { ...syntheticResults(), shard: { index: 2, total: 3, selected: 8 } };
    const { suite } = parse(renderJunit(results));
    const props = suite.properties.property.map((p: { '@_name': string; '@_value': string }) => [p['@_name'], p['@_value']]);
    expect(props).toContainEqual(['shard', '2/3']);
  });

  it('fails the canary case on a hit and passes it without one', () => {
    const leaked = parse(renderJunit(syntheticResults())).cases[3]!;
    expect(leaked.failure?.['@_type']).toBe('SecretLeak');
    expect(leaked.failure?.['#text']).toContain('state/cloud/cloud.log');
    const clean = syntheticResults();
    clean.canary.hits = [];
    const { root, cases } = parse(renderJunit(clean));
    expect(cases[3]!.failure).toBeUndefined();
    expect(root['@_failures']).toBe('1');
  });

  it('stays well-formed whatever a title holds (control characters, lone surrogates, "]]>")', () => {
    const results = syntheticResults();
    results.scenarios[0]!.title = 'a\u0001b\ud800c ]]> "d" \'e\' <f> & g\nh';
    const { cases } = parse(renderJunit(results));
    expect(cases[0]!['@_name']).toContain('a\ufffdb\ufffdc');
  });
});
