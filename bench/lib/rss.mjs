// Resident-memory sampling of a process through /proc (Linux).
// VmRSS is polled at an interval; VmHWM (the kernel's peak RSS) is read at the end.
import { readFileSync } from 'node:fs';

/** @returns {{rssKb:number, hwmKb:number}|undefined} */
export function readProcStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text);
    if (!rss || !hwm) return undefined;
    return { rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) };
  } catch {
    return undefined; // process gone, or not Linux
  }
}

/** Polls VmRSS every `intervalMs` until stop(); stop() reads VmHWM one last time. */
export function startRssSampler(pid, intervalMs = 100) {
  let peakRssKb = 0;
  let samples = 0;
  const sample = () => {
    const s = readProcStatus(pid);
    if (s) {
      samples++;
      peakRssKb = Math.max(peakRssKb, s.rssKb);
    }
    return s;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    /** Current values without stopping. */
    peek: sample,
    /** @returns {{peakRssKb:number, hwmKb:number|undefined, samples:number}} */
    stop() {
      clearInterval(timer);
      const last = sample();
      return { peakRssKb, hwmKb: last?.hwmKb, samples };
    },
  };
}
