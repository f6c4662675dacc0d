import type { JsonValue } from '../../internal/json.js';
import type { OracleStep, OracleView, TaskOracle } from '../environment.js';

interface OrdersView {
  products: { sku: string; priceCents: number; stock: number }[];
  customers: { id: string; name: string; email: string }[];
  orders: { id: string; customerId: string; lines: { sku: string; quantity: number }[]; status: string; discountPercent: number; trackingNumber: string | null }[];
  outbox: { to: string; body: string }[];
}

interface Step {
  action: string;
  input: JsonValue;
  cost: number;
  done: boolean;
}

const okStep = (trajectory: readonly OracleStep[], action: string): OracleStep | undefined => trajectory.find((step) => step.action === action && step.status === 'ok');

/**
 * What a perfect agent would do to fulfil an order, step by step, read from the observation and from what
 * the trajectory has learnt (the carriers' quotes are only known from a quote_shipping output). Used by the
 * simulated policy in `arbor demo`; it cannot predict states, so only step-by-step strategies use it.
 */
export function fulfilOrderOracle(orderId: string): TaskOracle {
  const steps = (view: OracleView): Step[] | undefined => {
    const state = view.observation as unknown as OrdersView;
    const order = state.orders?.find((candidate) => candidate.id === orderId);
    if (order === undefined) return undefined;
    const customer = state.customers.find((candidate) => candidate.id === order.customerId);
    const trajectory = view.trajectory;
    const reserved = order.status !== 'new';
    const gross = order.lines.reduce((sum, line) => sum + (state.products.find((product) => product.sku === line.sku)?.priceCents ?? 0) * line.quantity, 0);
    const total = Math.round(gross * (1 - order.discountPercent / 100));
    const quote = okStep(trajectory, 'quote_shipping')?.output as { quotes?: { carrier: string; priceCents: number }[] } | undefined;
    const cheapest = quote?.quotes?.reduce((best, next) => (next.priceCents < best.priceCents ? next : best));
    const mailed = order.trackingNumber !== null && state.outbox.some((mail) => mail.body.includes(order.trackingNumber ?? '\u0000'));
    const list: Step[] = [
      { action: 'get_order', input: { orderId }, cost: 1, done: reserved || okStep(trajectory, 'get_order') !== undefined },
      ...order.lines.map((line) => ({
        action: 'check_stock',
        input: { sku: line.sku },
        cost: 1,
        done: reserved || trajectory.some((step) => step.action === 'check_stock' && step.status === 'ok' && (step.input as { sku?: string } | null)?.sku === line.sku),
      })),
      { action: 'get_customer', input: { customerId: order.customerId }, cost: 1, done: reserved || okStep(trajectory, 'get_customer') !== undefined },
      { action: 'reserve_stock', input: { orderId }, cost: 2, done: reserved },
      { action: 'quote_shipping', input: { orderId }, cost: 1, done: cheapest !== undefined || order.status === 'shipped' },
      { action: 'charge_payment', input: { orderId, amountCents: total }, cost: 3, done: order.status === 'paid' || order.status === 'shipped' },
      { action: 'ship_order', input: { orderId, carrier: cheapest?.carrier ?? 'swiftship' }, cost: 3, done: order.status === 'shipped' },
      {
        action: 'send_email',
        input: {
          to: customer?.email ?? '',
          subject: `Your order ${orderId} is on its way`,
          body: `Hello ${customer?.name ?? ''}, your order ${orderId} was shipped with ${cheapest?.carrier ?? ''}. Tracking number: ${order.trackingNumber ?? ''}.`,
        },
        cost: 1,
        done: mailed,
      },
    ];
    return list;
  };
  return {
    costToGo: (view) => {
      const list = steps(view);
      if (list === undefined) return Number.POSITIVE_INFINITY;
      return list.filter((step) => !step.done).reduce((sum, step) => sum + step.cost, 0);
    },
    nextActions: (view) => {
      const next = steps(view)?.find((step) => !step.done);
      return next === undefined ? [] : [{ action: next.action, input: next.input }];
    },
  };
}
