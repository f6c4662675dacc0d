import type { Run } from '../../execution/index.js';
import type { RunStatus } from '../../provenance/index.js';

interface OrderView {
  id: string;
  customerId: string;
  totalCents: number;
  lines: { sku: string; quantity: number }[];
}

/**
 * A fixed, hand-written way to fulfil an order, step by step, each step deciding its arguments from the
 * outputs before it. It is the baseline the planners are measured against, and what a run looks like
 * when no model is involved.
 */
export async function fulfilOrderScript(run: Run, orderId = 'ord-1001'): Promise<Exclude<RunStatus, 'running'>> {
  const step = async <T>(action: string, input: unknown): Promise<T | undefined> => {
    const result = await run.execute(action, input);
    return result.ok ? (result.output as T) : undefined;
  };
  const order = await step<OrderView>('get_order', { orderId });
  if (order === undefined) return 'failed';
  for (const line of order.lines) {
    const stock = await step<{ stock: number }>('check_stock', { sku: line.sku });
    if (stock === undefined || stock.stock < line.quantity) return 'failed';
  }
  const customer = await step<{ email: string; name: string }>('get_customer', { customerId: order.customerId });
  if (customer === undefined) return 'failed';
  if ((await step('reserve_stock', { orderId })) === undefined) return 'failed';
  const quote = await step<{ quotes: { carrier: string; priceCents: number }[] }>('quote_shipping', { orderId });
  const cheapest = quote?.quotes.reduce((best, next) => (next.priceCents < best.priceCents ? next : best));
  if (cheapest === undefined) return 'failed';

  const payment = await run.execute('charge_payment', { orderId, amountCents: order.totalCents });
  if (!payment.ok) return payment.status === 'blocked' ? 'blocked' : 'failed';
  const shipment = await run.execute('ship_order', { orderId, carrier: cheapest.carrier });
  if (!shipment.ok) return shipment.status === 'blocked' ? 'blocked' : 'failed';
  const { trackingNumber } = shipment.output as { trackingNumber: string };
  const mail = await run.execute('send_email', {
    to: customer.email,
    subject: `Your order ${orderId} is on its way`,
    body: `Hello ${customer.name}, your order ${orderId} was shipped with ${cheapest.carrier}. Tracking number: ${trackingNumber}.`,
  });
  if (!mail.ok) return mail.status === 'blocked' ? 'blocked' : 'failed';
  return 'succeeded';
}
