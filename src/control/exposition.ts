/**
 * Exposition collects metric families in Prometheus text format 0.0.4: one HELP and TYPE line
 * per family, then its samples; label values escaped as the format requires.
 */

/** Labels are one sample's label names and values, in the order written. */
export type Labels = Record<string, string>;

/** Sample is one line of a family: labels and value. */
export type Sample = [Labels, number | bigint];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Exposition accumulates families and renders them. */
export class Exposition {
  private readonly lines: string[] = [];

  /** family writes one metric family; a family without samples still gets its HELP and TYPE. */
  family(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      this.lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    }
  }

  /**
   * histogram writes one histogram family from cumulative-free bucket counts: `counts[i]` counts
   * observations at most `bounds[i]`, the last (extra) count those above every bound.
   */
  histogram(
    name: string,
    help: string,
    bounds: readonly number[],
    counts: readonly number[],
    sum: number,
  ): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    let cumulative = 0;
    bounds.forEach((b, i) => {
      cumulative += counts[i] ?? 0;
      this.lines.push(`${name}_bucket{le="${b}"} ${cumulative}`);
    });
    cumulative += counts[bounds.length] ?? 0;
    this.lines.push(
      `${name}_bucket{le="+Inf"} ${cumulative}`,
      `${name}_sum ${sum}`,
      `${name}_count ${cumulative}`,
    );
  }

  /** text is the exposition body, newline-terminated. */
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
