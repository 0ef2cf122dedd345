// Formatting helpers. Amounts are integer satoshis (exact below 2^53, which
// every bitcoin amount is); they are shown in BTC with all 8 decimals.

export function btc(sat) {
  if (sat === null || sat === undefined) return '';
  const neg = sat < 0;
  const s = String(Math.abs(sat)).padStart(9, '0');
  return (neg ? '-' : '') + s.slice(0, -8) + '.' + s.slice(-8);
}

// Short form for edge labels: up to 4 decimals, trailing zeros dropped.
export function btcShort(sat) {
  const v = btc(sat);
  const [i, f] = v.split('.');
  const t = f.slice(0, 4).replace(/0+$/, '');
  return t ? i + '.' + t : i;
}

export function isoDate(unix) {
  if (!unix) return '';
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}

export function short(id) {
  if (!id) return '';
  return id.length > 16 ? id.slice(0, 8) + '…' + id.slice(-6) : id;
}

export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}

export function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

export function csvField(v) {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
