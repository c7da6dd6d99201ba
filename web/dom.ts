/** A few DOM helpers: elements from data, and keyed children updated in place. */

type Child = Node | string;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/** Sets text only when it changed (no needless layout, selection kept). */
export function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

export function setData(e: HTMLElement, name: string, value: string): void {
  if (e.dataset[name] !== value) e.dataset[name] = value;
}

/**
 * Makes `parent`'s children one per item, in order, keyed by `key`: an existing child with the
 * key is kept and updated (a button under the pointer survives a refresh), new ones are created,
 * the rest removed.
 */
export function reconcile<T, E extends HTMLElement>(
  parent: HTMLElement,
  items: readonly T[],
  key: (item: T) => string,
  create: (item: T) => E,
  update: (e: E, item: T) => void,
): void {
  const existing = new Map<string, E>();
  for (const c of Array.from(parent.children)) {
    if (c instanceof HTMLElement && c.dataset.key !== undefined) existing.set(c.dataset.key, c as E);
  }
  let cursor: Element | null = parent.firstElementChild;
  for (const item of items) {
    const k = key(item);
    let e = existing.get(k);
    if (e === undefined) {
      e = create(item);
      e.dataset.key = k;
    } else existing.delete(k);
    update(e, item);
    if (e !== cursor) parent.insertBefore(e, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const stale of existing.values()) stale.remove();
}
