/**
 * The admin view: the store at a glance (GET /api/admin/overview) in pictures
 * where people would rather look than read (decisions by reason, snapshots and
 * models over time, feedback per day), the models with their evaluation
 * figures (GET /api/models) and a Promote button for each.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import type { ModelsResponse, Overview } from '../types.ts';
import { api } from '../lib/api.ts';
import { describeError } from '../lib/errors.ts';
import { decisionBars, evalFigures, feedbackSeries, fixed, latestEval, percent } from '../lib/admin-data.ts';
import { announce } from '../state.ts';
import { ChartFigure, palette } from './Chart.tsx';

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dayTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayHour = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const n = new Intl.NumberFormat();
const short = (id: string) => (id.length > 18 ? `${id.slice(0, 16)}…` : id);

export function AdminView() {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [models, setModels] = useState<ModelsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);

  const load = async () => {
    setError(null);
    try {
      const [o, m] = await Promise.all([api.overview(), api.models()]);
      setOverview(o);
      setModels(m);
      setLoadedAt(new Date());
    } catch (e) {
      setError(describeError(e).text);
    }
  };
  useEffect(() => void load(), []);

  return (
    <section class="admin" aria-labelledby="admin-title" aria-busy={!overview && !error}>
      <div class="admin-head">
        <h1 id="admin-title">Admin</h1>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p class="lede">
        The store at a glance{loadedAt ? `, as of ${dayTime.format(loadedAt)}` : ''}: what may be used for training and why the rest is not, the training sets and models made from
        it, and what people say about the images.
      </p>
      {error && (
        <div class="problem" role="alert">
          <p>{error}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {!overview && !error && <p class="fine">Loading…</p>}
      {overview && <Glance o={overview} models={models} />}
      {overview && <Decisions o={overview} />}
      {overview && <Timeline o={overview} models={models} />}
      {models && <Models models={models} onChange={() => void load()} />}
      {overview && <Feedback o={overview} />}
    </section>
  );
}

function Glance({ o, models }: { o: Overview; models: ModelsResponse | null }) {
  const decided = Object.values(o.decisions).reduce((a, b) => a + b, 0);
  const stats: [string, string, string?][] = [
    ['Posts', n.format(o.posts.posts), `${n.format(o.posts.accounts)} accounts`],
    ['Eligible', n.format(o.decisions.eligible ?? 0), decided ? `${percent((o.decisions.eligible ?? 0) / decided)} of decided posts` : 'nothing decided yet'],
    ['Snapshots', n.format(o.snapshots.length), o.snapshots.length ? `${n.format(o.snapshots.reduce((a, s) => a + s.withdrawn, 0))} items withdrawn since` : undefined],
    ['Models', n.format(models?.models.length ?? o.models.length), models ? `in use: ${short(models.inUse)}` : undefined],
    ['People', n.format(o.users), `${n.format(o.contributors)} let their feedback train models`],
    ['Image sets', n.format(o.generations.done), `${n.format(o.generations.failed)} failed · ${n.format(o.generations.cancelled)} cancelled`],
    ['Queue', n.format(o.queue), 'requests waiting now'],
  ];
  return (
    <section aria-labelledby="glance-title">
      <h2 id="glance-title" class="sr-only">
        At a glance
      </h2>
      <dl class="stats">
        {stats.map(([k, v, sub]) => (
          <div class="stat" key={k}>
            <dt>{k}</dt>
            <dd>
              <span class="stat-value">{v}</span>
              {sub && <span class="fine">{sub}</span>}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Decisions({ o }: { o: Overview }) {
  const bars = useMemo(() => decisionBars(o.decisions), [o]);
  const shown = bars.filter((b) => b.count > 0);
  const total = bars.reduce((a, b) => a + b.count, 0);
  const config = useMemo((): ChartConfiguration => {
    const p = palette();
    return {
      type: 'bar',
      data: {
        labels: shown.map((b) => b.label),
        datasets: [{ label: 'posts', data: shown.map((b) => b.count), backgroundColor: shown.map((b) => (b.key === 'eligible' ? p.good : p.bad)), borderRadius: 3 }],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { afterLabel: (c) => wrap(shown[c.dataIndex]?.text ?? '') } },
        },
        scales: { x: { beginAtZero: true, title: { display: true, text: 'posts' } }, y: { ticks: { autoSkip: false } } },
      },
    };
  }, [o]);
  const top = shown.filter((b) => b.key !== 'eligible').sort((a, b) => b.count - a.count)[0];
  return (
    <section aria-labelledby="decisions-h" class="panel">
      <h2 id="decisions-h">Decisions</h2>
      {total === 0 ? (
        <p class="empty-state">No post has been decided yet: ingest a platform dump and run vitrine decide.</p>
      ) : (
        <ChartFigure
          id="decisions"
          title="Posts by decision: used, or the reason they are kept out"
          summary={`Bar chart of ${n.format(total)} decided posts: ${n.format(o.decisions.eligible ?? 0)} eligible${top ? `; the most common reason to keep a post out is “${top.label}” (${n.format(top.count)})` : ''}.`}
          config={config}
          height={Math.max(160, shown.length * 30 + 60)}
        >
          <table>
            <thead>
              <tr>
                <th scope="col">Decision</th>
                <th scope="col">Posts</th>
                <th scope="col">What it means</th>
              </tr>
            </thead>
            <tbody>
              {bars.map((b) => (
                <tr key={b.key}>
                  <th scope="row">
                    <code>{b.key}</code>
                  </th>
                  <td class="num">{n.format(b.count)}</td>
                  <td>{b.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ChartFigure>
      )}
    </section>
  );
}

function wrap(s: string, width = 60): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of s.split(' ')) {
    if ((line + ' ' + w).trim().length > width) {
      lines.push(line);
      line = w;
    } else line = `${line} ${w}`.trim();
  }
  if (line) lines.push(line);
  return lines;
}

function Timeline({ o, models }: { o: Overview; models: ModelsResponse | null }) {
  const registered = (models?.models ?? []).filter((m) => m.createdAt);
  const config = useMemo((): ChartConfiguration => {
    const p = palette();
    const snaps = o.snapshots.map((s) => ({ x: Date.parse(s.createdAt), y: s.items, label: `${s.id}: ${n.format(s.items)} items, ${n.format(s.withdrawn)} withdrawn since` }));
    const itemsOf = new Map(o.snapshots.map((s) => [s.id, s.items]));
    const ms = registered.map((m) => {
      const f = evalFigures(latestEval(m));
      return { x: Date.parse(m.createdAt), y: itemsOf.get(m.snapshot) ?? 0, label: `${m.id} (trained on ${m.snapshot})${f.ratioEn !== null ? `: faithfulness ${percent(f.ratioEn)} of the ceiling` : ''}` };
    });
    const labels = [snaps, ms];
    // Bounds with some room on each side, also for a single snapshot (Chart.js would spread one point over years).
    const xs = [...snaps, ...ms].map((p) => p.x);
    const pad = Math.max(86_400_000, (Math.max(...xs) - Math.min(...xs)) * 0.08);
    return {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'snapshots (items)', data: snaps, backgroundColor: p.series[0], borderColor: p.series[0], pointRadius: 7, pointStyle: 'rect' },
          { label: 'models (at their snapshot’s size)', data: ms, backgroundColor: p.series[1], borderColor: p.series[1], pointRadius: 7, pointStyle: 'triangle' },
        ],
      },
      options: {
        plugins: { tooltip: { callbacks: { label: (c) => labels[c.datasetIndex]?.[c.dataIndex]?.label ?? '' } } },
        scales: {
          x: {
            type: 'linear',
            min: Math.min(...xs) - pad,
            max: Math.max(...xs) + pad,
            ticks: { callback: (v) => (Math.max(...xs) - Math.min(...xs) < 3 * 86_400_000 ? dayHour : day).format(new Date(Number(v))), maxTicksLimit: 5 },
            title: { display: true, text: 'date' },
          },
          y: { beginAtZero: true, title: { display: true, text: 'training items' } },
        },
      },
    };
  }, [o, models]);
  return (
    <section aria-labelledby="timeline-h" class="panel">
      <h2 id="timeline-h">Snapshots and models</h2>
      {o.snapshots.length === 0 ? (
        <p class="empty-state">No snapshot yet: vitrine snapshot makes one from the eligible posts.</p>
      ) : (
        <ChartFigure
          id="timeline"
          title="Training sets and the models trained on them, over time"
          summary={`Timeline of ${o.snapshots.length} snapshot${o.snapshots.length === 1 ? '' : 's'} and ${registered.length} registered model${registered.length === 1 ? '' : 's'}; the latest snapshot has ${n.format(o.snapshots[o.snapshots.length - 1]?.items ?? 0)} items.`}
          config={config}
        />
      )}
      {o.snapshots.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Snapshots</caption>
            <thead>
              <tr>
                <th scope="col">Snapshot</th>
                <th scope="col">Made</th>
                <th scope="col">Items</th>
                <th scope="col">Withdrawn since</th>
                <th scope="col">Policy</th>
              </tr>
            </thead>
            <tbody>
              {[...o.snapshots].reverse().map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <code>{s.id}</code>
                  </th>
                  <td>{dayTime.format(new Date(s.createdAt))}</td>
                  <td class="num">{n.format(s.items)}</td>
                  <td class="num">{n.format(s.withdrawn)}</td>
                  <td>
                    <code>{s.policy}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Models({ models, onChange }: { models: ModelsResponse; onChange: () => void }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const rows = models.models.map((m) => ({ m, f: evalFigures(latestEval(m)) }));
  const withEval = rows.filter((r) => r.f.ratioEn !== null || r.f.ratioFr !== null);
  const config = useMemo((): ChartConfiguration => {
    const p = palette();
    return {
      type: 'bar',
      data: {
        labels: withEval.map((r) => short(r.m.id)),
        datasets: [
          { label: 'English prompts', data: withEval.map((r) => (r.f.ratioEn ?? 0) * 100), backgroundColor: p.series[0], maxBarThickness: 56 },
          { label: 'French prompts', data: withEval.map((r) => (r.f.ratioFr ?? 0) * 100), backgroundColor: p.series[3], maxBarThickness: 56 },
        ],
      },
      options: {
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${Number(c.raw).toFixed(2)}% of the judge’s ceiling` } } },
        scales: { y: { beginAtZero: true, suggestedMax: 10, title: { display: true, text: '% of the judge’s ceiling' } } },
      },
    };
  }, [models]);

  const promote = async (id: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.promote(id);
      announce(`${id} is now used for every new request.`);
      setConfirming(null);
      onChange();
    } catch (e) {
      setError(describeError(e).text);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="models-h" class="panel">
      <h2 id="models-h">Models</h2>
      <p class="fine">
        Faithfulness: how often a judge model finds the prompt in the images, as a share of what it finds in real photos (its ceiling). Fréchet distance and KID: how far the images
        are from real ones (lower is closer). Diversity: how different the images of one prompt are.
        {models.reranker ? ` Best-of-n reranking with ${models.reranker}.` : ''}
      </p>
      {withEval.length > 0 && (
        <ChartFigure
          id="evals"
          title="Prompt faithfulness, as a share of the judge’s ceiling"
          summary={`Bar chart of prompt faithfulness for ${withEval.length} model${withEval.length === 1 ? '' : 's'}: ${withEval
            .map((r) => `${short(r.m.id)} ${percent(r.f.ratioEn)} in English, ${percent(r.f.ratioFr)} in French`)
            .join('; ')}.`}
          config={config}
          height={220}
        />
      )}
      <div class="table-wrap">
        <table class="models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Trained on</th>
              <th scope="col">Faithfulness EN / FR</th>
              <th scope="col">Fréchet distance</th>
              <th scope="col">KID</th>
              <th scope="col">Diversity</th>
              <th scope="col">
                <span class="sr-only">Use</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ m, f }) => (
              <tr key={m.id} class={m.inUse ? 'in-use' : ''}>
                <th scope="row">
                  <code>{m.id}</code>
                  <span class="fine">
                    {m.config ? `config ${m.config}` : ''}
                    {m.imagesSeen ? ` · ${n.format(m.imagesSeen)} images seen` : ''}
                    {m.createdAt ? ` · ${day.format(new Date(m.createdAt))}` : ''}
                    {m.parent ? ` · from ${short(m.parent)}` : ''}
                  </span>
                </th>
                <td>
                  <code>{m.snapshot || '–'}</code>
                </td>
                <td class="num">
                  {percent(f.ratioEn)} / {percent(f.ratioFr)}
                </td>
                <td class="num">{fixed(f.frechet)}</td>
                <td class="num">{fixed(f.kid, 3)}</td>
                <td class="num">{fixed(f.diversity)}</td>
                <td>
                  {m.inUse ? (
                    <span class="chip chip-done">in use</span>
                  ) : !m.createdAt ? (
                    <span class="fine">not registered</span>
                  ) : confirming === m.id ? (
                    <span class="row">
                      <button type="button" class="primary" disabled={busy} onClick={() => void promote(m.id)}>
                        Yes, use it for every new request
                      </button>
                      <button type="button" class="quiet" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" onClick={() => setConfirming(m.id)} aria-label={`Promote ${m.id}`}>
                      Promote
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.every((r) => r.f.ratioEn === null) && <p class="fine">No evaluation yet: vitrine eval MODEL measures one.</p>}
      {error && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function Feedback({ o }: { o: Overview }) {
  const { days, series } = useMemo(() => feedbackSeries(o.feedback), [o]);
  const total = o.feedback.reduce((a, r) => a + r.count, 0);
  const config = useMemo((): ChartConfiguration => {
    const p = palette();
    return {
      type: 'bar',
      data: {
        labels: days.map((d) => day.format(new Date(`${d}T12:00:00Z`))),
        datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: p.series[i % p.series.length], maxBarThickness: 56 })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'events' } } } },
    };
  }, [o]);
  return (
    <section aria-labelledby="feedback-h" class="panel">
      <h2 id="feedback-h">Feedback</h2>
      {total === 0 ? (
        <p class="empty-state">No feedback yet: picks, rejections, stars and downloads will show here, per day.</p>
      ) : (
        <ChartFigure
          id="feedback"
          title="Feedback per day, by kind"
          summary={`Stacked bar chart of ${n.format(total)} feedback events over ${days.length} day${days.length === 1 ? '' : 's'}: ${series
            .map((s) => `${n.format(s.data.reduce((a, b) => a + b, 0))} ${s.label}`)
            .join(', ')}.`}
          config={config}
        >
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d, i) => (
                <tr key={d}>
                  <th scope="row">{d}</th>
                  {series.map((s) => (
                    <td class="num" key={s.label}>
                      {s.data[i]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ChartFigure>
      )}
      <p class="fine">Only feedback from people who accepted the feedback terms ({n.format(o.contributors)} of {n.format(o.users)}) may train a model.</p>
    </section>
  );
}
