import { describe, expect, it } from 'vitest';
import { BudgetMeter } from './budget.js';

describe('BudgetMeter.expired', () => {
  it('turns true with the signal when the wall-time budget runs out, and blocks every further call', async () => {
    const meter = new BudgetMeter({ wallTimeMs: 5 });
    expect(meter.expired).toBe(false);
    expect(meter.blockedCall()).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(meter.expired).toBe(true);
    expect(meter.signal.aborted).toBe(true);
    expect(meter.blockedCall()).toBe('wallTime');
    expect(meter.blockedExpansion()).toBe('wallTime');
    meter.end();
  });

  it('never expires without a wall-time budget', () => {
    const meter = new BudgetMeter({ modelCalls: 1 });
    expect(meter.expired).toBe(false);
    expect(meter.blockedStep()).toBeUndefined();
    meter.end();
  });
});
