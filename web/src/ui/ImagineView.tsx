/**
 * The chat: "imagine …" gives four images under the message; anything else
 * gets a one-line hint. Settings (seed, steps, guidance, size, variation
 * strength, prompt in downloads) sit under the box and last in this browser.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Me } from '../types.ts';
import { useObservable } from '../lib/observable.ts';
import { EXAMPLE, EXAMPLE_FR, MAX_PROMPT_CHARS, parseMessage } from '../lib/message.ts';
import { chat, imagine, prefs, requestFor, retry, say, type ChatItem } from '../state.ts';
import { GenerationCard } from './GenerationCard.tsx';
import { Icon } from './icons.tsx';
import { TermsChoice } from './Terms.tsx';

export function ImagineView({ me }: { me: Me }) {
  const items = useObservable(chat);
  const [text, setText] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const end = useRef<HTMLDivElement>(null);
  const count = useRef(items.length);

  useEffect(() => {
    // New messages: bring the newest into view (not on the first render of a restored chat).
    if (items.length > count.current) end.current?.scrollIntoView({ block: 'end', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    count.current = items.length;
  }, [items.length]);

  const send = () => {
    const p = parseMessage(text);
    if (p.kind === 'empty') {
      box.current?.focus();
      return;
    }
    setText('');
    if (p.kind === 'hint') {
      say({ kind: 'you', text: text.trim() });
      say({ kind: 'hint', text: p.hint });
      return;
    }
    void imagine(requestFor(p.prompt));
  };

  return (
    <section class="imagine" aria-labelledby="imagine-title">
      <h1 id="imagine-title" class="sr-only">
        Imagine
      </h1>
      {me.feedbackTerms === null && <TermsChoice me={me} compact />}
      <ol class="thread" aria-label="Conversation">
        {items.length === 0 && (
          <li class="intro">
            <p>
              Say <strong>imagine</strong> and what you want to see: you get four images, made by an AI model trained only on posts people shared in public and agreed to
              share for this.
            </p>
            <p class="examples">
              Try:{' '}
              {[EXAMPLE, EXAMPLE_FR].map((ex) => (
                <button
                  type="button"
                  class="example"
                  key={ex}
                  onClick={() => {
                    setText(ex);
                    box.current?.focus();
                  }}
                >
                  {ex}
                </button>
              ))}
            </p>
          </li>
        )}
        {items.map((item) => (
          <li key={item.key} class={`msg msg-${item.kind}`}>
            <ChatLine item={item} />
          </li>
        ))}
      </ol>
      <div ref={end} />
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <div class="composer-row">
          <label for="message" class="sr-only">
            Message (start with “imagine”)
          </label>
          <textarea
            id="message"
            ref={box}
            rows={1}
            maxLength={MAX_PROMPT_CHARS}
            value={text}
            placeholder={EXAMPLE}
            autoComplete="off"
            enterkeyhint="send"
            aria-describedby="message-help"
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                send();
              }
            }}
          />
          <button type="submit" class="primary send">
            <Icon name="send" /> <span>Send</span>
          </button>
        </div>
        <p id="message-help" class="fine">
          Enter sends · Shift+Enter starts a new line · 1–4 pick out an image, then P pick, R reject, S star, D download, V variations
          {text.length > MAX_PROMPT_CHARS - 50 ? ` · ${MAX_PROMPT_CHARS - text.length} characters left` : ''}
        </p>
      </form>
      <SettingsPanel />
    </section>
  );
}

function ChatLine({ item }: { item: ChatItem }) {
  switch (item.kind) {
    case 'you':
      return (
        <p class="bubble">
          <span class="sr-only">You: </span>
          {item.text}
        </p>
      );
    case 'hint':
      return (
        <p class="hint">
          <span class="sr-only">vitrine: </span>
          {item.text}
        </p>
      );
    case 'generation':
      return <GenerationCard id={item.id} />;
    case 'error':
      return <Refusal item={item} />;
  }
}

function useCountdown(until: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until <= now) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [until, now]);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

function Refusal({ item }: { item: ChatItem & { kind: 'error' } }) {
  const left = useCountdown(item.at + (item.retryAfter ?? 0) * 1000);
  return (
    <div class="problem" role="alert">
      <p>{item.text}</p>
      {item.request && (
        <button type="button" disabled={left > 0} onClick={() => void retry(item)}>
          <Icon name="again" /> {left > 0 ? `Try again in ${left} s` : 'Try again'}
        </button>
      )}
    </div>
  );
}

function SettingsPanel() {
  const p = useObservable(prefs);
  const field = (k: 'seed' | 'steps' | 'guidance' | 'size') => ({
    value: p[k],
    onInput: (e: Event) => prefs.set({ ...p, [k]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <details class="settings" open={p.settingsOpen} onToggle={(e) => e.currentTarget.open !== p.settingsOpen && prefs.set({ ...p, settingsOpen: e.currentTarget.open })}>
      <summary>Settings</summary>
      <div class="settings-grid">
        <label>
          Seed <input type="number" inputMode="numeric" min={0} max={4294967295} step={1} placeholder="random" {...field('seed')} />
        </label>
        <label>
          Steps <input type="number" inputMode="numeric" min={1} max={100} step={1} placeholder="model’s default" {...field('steps')} />
        </label>
        <label>
          Guidance <input type="number" inputMode="decimal" min={0} max={20} step={0.5} placeholder="model’s default" {...field('guidance')} />
        </label>
        <label>
          Size (pixels) <input type="number" inputMode="numeric" min={32} max={1024} step={32} placeholder="256" {...field('size')} />
        </label>
        <label class="wide">
          How different variations are: <output>{Math.round(p.strength * 100)}%</output>
          <input type="range" min={0.05} max={1} step={0.05} value={p.strength} onInput={(e) => prefs.set({ ...p, strength: Number(e.currentTarget.value) })} />
        </label>
        <label class="wide check">
          <input type="checkbox" checked={p.promptInDownloads} onChange={(e) => prefs.set({ ...p, promptInDownloads: e.currentTarget.checked })} />
          Put my prompt in downloaded files (the AI label is always in them)
        </label>
      </div>
      <p class="fine">
        A fixed seed with the same prompt and settings makes the same four images again. Leave a field empty for the model’s default.
      </p>
    </details>
  );
}
