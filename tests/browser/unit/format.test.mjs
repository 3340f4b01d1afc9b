import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  archiveName, describeTarget, durationBetween, formatBytes, formatCost, formatCount, formatDuration, formatTokens, formatWhen, sentence, statusLabel, webLink,
} from '../../../web/js/format.js';

test('counts and tokens', () => {
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(undefined), '0');
  assert.equal(formatTokens(950), '950');
  assert.equal(formatTokens(9999), '9,999');
  assert.equal(formatTokens(12_345), '12.3k');
  assert.equal(formatTokens(20_000), '20k');
  assert.equal(formatTokens(2_500_000), '2.5M');
});

test('cost: nothing, under a cent, dollars', () => {
  assert.equal(formatCost(0), '$0.00');
  assert.equal(formatCost(null), '$0.00');
  assert.equal(formatCost(0.00042), '$0.0004');
  assert.equal(formatCost(0.5), '$0.50');
  assert.equal(formatCost(1234.567), '$1,234.57');
});

test('durations from milliseconds to hours', () => {
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(4200), '4.2 s');
  assert.equal(formatDuration(185_000), '3 min 05 s');
  assert.equal(formatDuration(2 * 3600_000 + 7 * 60_000), '2 h 07 min');
  assert.equal(formatDuration(-5), '0 ms');
  assert.equal(durationBetween('2026-01-01T00:00:00Z', '2026-01-01T00:00:02.5Z'), 2500);
  assert.equal(durationBetween('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T00:01:00Z')), 60_000);
  assert.equal(durationBetween(null, null), 0);
});

test('relative times, past and future', () => {
  const now = Date.parse('2026-06-10T12:00:00Z');
  assert.equal(formatWhen('2026-06-10T11:59:50Z', now), 'just now');
  assert.equal(formatWhen('2026-06-10T11:55:00Z', now), '5 min ago');
  assert.equal(formatWhen('2026-06-10T09:00:00Z', now), '3 h ago');
  assert.equal(formatWhen('2026-06-08T12:00:00Z', now), '2 d ago');
  assert.equal(formatWhen('2026-05-01T12:00:00Z', now), '2026-05-01');
  assert.equal(formatWhen('2026-06-13T12:00:00Z', now), 'in 3 d');
  assert.equal(formatWhen(null, now), '—');
});

test('bytes, statuses, sentences, names and targets', () => {
  assert.equal(formatBytes(900), '900 B');
  assert.equal(formatBytes(10_240), '10.0 KiB');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
  assert.equal(statusLabel('budget_exceeded'), 'Over budget');
  assert.equal(statusLabel('awaiting_approval'), 'Needs approval');
  assert.equal(statusLabel('something_new'), 'something new');
  assert.equal(sentence('wrong email or password'), 'Wrong email or password.');
  assert.equal(sentence('Done!'), 'Done!');
  assert.equal(sentence(''), '');
  assert.equal(archiveName('Lending library!', 'tar.gz'), 'lending-library.tar.gz');
  assert.equal(archiveName('', 'zip'), 'project.zip');
  assert.equal(describeTarget({ type: 'github', repository: 'ada/lib', branch: 'main' }), 'GitHub ada/lib (main)');
  assert.equal(describeTarget({ type: 'gitlab', project: 'g/lib' }), 'GitLab g/lib');
  assert.equal(describeTarget({ type: 'zip' }), 'zip');
});

test('only http and https addresses become links', () => {
  assert.equal(webLink('https://gitlab.example.com/group/app'), 'https://gitlab.example.com/group/app');
  assert.equal(webLink('http://localhost:8080/x'), 'http://localhost:8080/x');
  for (const url of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,x', 'vbscript:x', '//evil.example', '', null, undefined, 42]) {
    assert.equal(webLink(url), null, String(url));
  }
});
