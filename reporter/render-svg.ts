/**
 * Pure: the observed topology and the measured figures as inline SVG (no scripts, no external
 * resources: the page opens from a CI artifact or a file:// URL).
 */
import type { Figure } from '../fixtures/report/facts.ts';
import { trustDomains, type Topology, type TopologyServer } from '../fixtures/topology/model.ts';

export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const box = { w: 200, h: 58, gapX: 24, gapY: 56 };
const verdictColour: Record<string, string> = { fresh: '#1a7f37', stale: '#cf222e', 'at-risk': '#9a6700', 'not-refreshing': '#cf222e', unjudgeable: '#57606a' };

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

interface Placed { x: number; y: number }

/** Levels of the upstream chain within one trust domain: roots first. */
function levels(servers: TopologyServer[]): TopologyServer[][] {
  const ids = new Set(servers.map((s) => s.id));
  const out: TopologyServer[][] = [];
  let current = servers.filter((s) => !s.upstreamServer || !ids.has(s.upstreamServer));
  const seen = new Set<string>();
  while (current.length) {
    out.push(current);
    current.forEach((s) => seen.add(s.id));
    current = servers.filter((s) => !seen.has(s.id) && s.upstreamServer && current.some((p) => p.id === s.upstreamServer));
  }
  const rest = servers.filter((s) => !seen.has(s.id));
  if (rest.length) out.push(rest);
  return out;
}

/**
 * Each server has a column of its own (upstream first), its row is its depth in the upstream
 * chain; agents share the row below the deepest server, each under its server, and OIDC providers
 * the row below theirs. So no line crosses a box: upstream lines go up, agent lines go straight
 * up an otherwise empty column, federation arcs pass above everything.
 */
export function topologySvg(t: Topology): string {
  const pos = new Map<string, Placed>();
  const parts: string[] = [];
  const top = 50 + 26 * t.relationships.length;
  const rowY = (row: number) => top + row * (box.h + box.gapY);
  const colX = (col: number) => 10 + col * (box.w + box.gapX);
  let col = 0;
  let rows = 0;
  for (const domain of trustDomains(t)) {
    const lv = levels(t.servers.filter((s) => s.trustDomain === domain));
    const first = col;
    const order: TopologyServer[] = [];
    const visit = (s: TopologyServer) => {
      order.push(s);
      lv.flat().filter((c) => c.upstreamServer === s.id && !order.includes(c)).forEach(visit);
    };
    lv[0]?.forEach(visit);
    lv.flat().filter((s) => !order.includes(s)).forEach((s) => order.push(s));
    const depth = new Map(lv.flatMap((level, i) => level.map((s) => [s.id, i] as const)));
    order.forEach((s, i) => pos.set(s.id, { x: colX(first + i), y: rowY(depth.get(s.id) ?? 0) }));
    const agentRow = lv.length;
    for (const a of t.agents.filter((a) => a.server && order.some((s) => s.id === a.server))) pos.set(a.id, { x: pos.get(a.server!)!.x, y: rowY(agentRow) });
    for (const o of t.oidcProviders.filter((o) => o.agent && pos.has(o.agent) && t.agents.find((a) => a.id === o.agent)?.trustDomain === domain)) {
      pos.set(o.id, { x: pos.get(o.agent!)!.x, y: rowY(agentRow + 1) });
    }
    rows = Math.max(rows, agentRow + (t.oidcProviders.some((o) => pos.has(o.id)) ? 2 : 1));
    const width = order.length * (box.w + box.gapX) - box.gapX;
    parts.push(`<text x="${colX(first)}" y="${top - 16}" class="td">${escapeXml(`spiffe://${domain}`)}</text>`);
    parts.push(`<rect x="${colX(first) - 6}" y="${top - 10}" width="${width + 12}" height="__H__" class="tdbox"/>`);
    col += order.length + 0.3;
  }
  const line = (from: Placed, to: Placed, cls: string) =>
    parts.push(`<line x1="${from.x + box.w / 2}" y1="${from.y}" x2="${to.x + box.w / 2}" y2="${to.y + box.h}" class="${cls}" marker-end="url(#arrow)"/>`);
  for (const s of t.servers) if (s.upstreamServer && pos.has(s.upstreamServer) && pos.has(s.id)) line(pos.get(s.id)!, pos.get(s.upstreamServer)!, 'upstream');
  for (const a of t.agents) if (a.server && pos.has(a.id)) line(pos.get(a.id)!, pos.get(a.server)!, 'attests');
  for (const o of t.oidcProviders) if (o.agent && pos.has(o.id)) line(pos.get(o.id)!, pos.get(o.agent)!, 'attests');
  // Federation: an arc above everything, from the peer's bundle endpoint to the holder's copy.
  t.relationships.forEach((r, i) => {
    const from = r.peer ? pos.get(r.peer) : undefined;
    const to = pos.get(r.holder);
    if (!from || !to) return;
    const colour = r.verdict ? verdictColour[r.verdict.verdict] ?? '#57606a' : '#57606a';
    const shift = i % 2 ? 30 : -30;
    const a = { x: from.x + box.w / 2 + shift, y: from.y };
    const b = { x: to.x + box.w / 2 + shift, y: to.y };
    const apex = 36 + 26 * i;
    parts.push(`<path d="M ${a.x} ${a.y} L ${a.x} ${apex} L ${b.x} ${apex} L ${b.x} ${b.y}" class="federation" stroke="${colour}" marker-end="url(#arrow)"/>`);
    const label = `${r.peerDomain} → ${r.holder.split('/')[1]}: refresh_hint ${r.refreshHintSeconds === undefined ? '?' : duration(r.refreshHintSeconds)}${r.verdict ? ` · ${r.verdict.verdict}` : ''}`;
    parts.push(`<text x="${(a.x + b.x) / 2}" y="${apex - 5}" text-anchor="middle" class="fed-label" fill="${colour}"><title>${escapeXml(r.verdict?.reason ?? r.url)}</title>${escapeXml(label)}</text>`);
  });
  const node = (id: string, cls: string, title: string, detail: string) => {
    const p = pos.get(id);
    if (!p) return;
    parts.push(`<g class="node ${cls}" data-id="${escapeXml(id)}"><rect x="${p.x}" y="${p.y}" width="${box.w}" height="${box.h}" rx="6"/>`
      + `<text x="${p.x + 8}" y="${p.y + 22}" class="name">${escapeXml(title)}</text><text x="${p.x + 8}" y="${p.y + 42}" class="detail">${escapeXml(detail)}</text></g>`);
  };
  for (const s of t.servers) node(s.id, 'server', s.name, `ca_ttl ${duration(s.caTtlSeconds)} · ${s.jwtKids} kids · ${s.x509Roots} roots${s.bundleEndpoint ? ` · :${s.bundleEndpoint.port}` : ''}`);
  for (const a of t.agents) node(a.id, 'agent', a.name, `agent · ${a.pods} pod${a.pods === 1 ? '' : 's'}`);
  for (const o of t.oidcProviders) node(o.id, 'oidc', o.name, `OIDC · polls every ${duration(o.pollSeconds)}`);
  const height = rowY(rows) - box.gapY + 16;
  const width = colX(col) + 10;
  const legend = '<tspan class="upstream-key">━ UpstreamAuthority "spire" (downstream → upstream)</tspan>   ┄ agent or OIDC provider → the server it attests to   ━ federation: peer\'s bundle endpoint → holder (green fresh, amber at-risk, red stale or not refreshing)';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="${width}" height="${height + 24}" viewBox="0 0 ${width} ${height + 24}" role="img" aria-label="topology as deployed">`
    + '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>'
    + parts.join('').replaceAll('__H__', String(height - top + 4)) + `<text x="10" y="${height + 18}" class="legend">${legend}</text></svg>`;
}

/** One chart per group: a bar per figure, the bound drawn as a dashed mark on its row. */
export function timelineSvg(group: string, figures: Figure[]): string {
  const row = 26;
  const labelW = 400;
  const plotW = 420;
  const max = Math.max(1, ...figures.map((f) => Math.max(f.seconds, f.boundSeconds ?? 0))) * 1.1;
  const x = (s: number) => labelW + (s / max) * plotW;
  const rows = figures.map((f, i) => {
    const y = 10 + i * row;
    const over = f.boundSeconds !== undefined && f.seconds > f.boundSeconds;
    const bound = f.boundSeconds === undefined ? '' : `<line x1="${x(f.boundSeconds)}" y1="${y - 3}" x2="${x(f.boundSeconds)}" y2="${y + row - 5}" class="bound"><title>${escapeXml(`bound ${f.boundSeconds.toFixed(1)} s: ${f.boundSource ?? ''}`)}</title></line>`;
    return `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" class="label">${escapeXml(f.name)}</text>`
      + `<rect x="${labelW}" y="${y + 2}" width="${Math.max(1, x(f.seconds) - labelW)}" height="${row - 10}" class="${over ? 'bar over' : 'bar'}"/>`
      + `<text x="${labelW + plotW + 8}" y="${y + 14}" class="value">${f.seconds.toFixed(1)} s${f.boundSeconds === undefined ? '' : ` (bound ${f.boundSeconds.toFixed(1)} s)`}</text>${bound}`;
  });
  const h = 20 + figures.length * row;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${labelW + plotW + 200}" height="${h}" role="img" aria-label="${escapeXml(group)}">${rows.join('')}</svg>`;
}
