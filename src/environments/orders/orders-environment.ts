import { z } from 'zod';
import { ActionSpace, defineAction, type Precondition } from '../../actions/index.js';
import type { JsonValue } from '../../internal/json.js';
import type { Environment, EnvironmentFactory, EnvironmentTask } from '../environment.js';
import { fulfilOrderOracle } from './orders-oracle.js';

/*
 * A small, deterministic, network-free shop: products with stock, customers, orders, a payment ledger,
 * shipments and an e-mail outbox. It has read, write (reversible) and irreversible actions, preconditions,
 * and actions that draw nondeterminism (shipping quotes, tracking numbers) through the context.
 */

interface Product {
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}
interface Customer {
  id: string;
  name: string;
  email: string;
  address: string;
}
type OrderStatus = 'new' | 'reserved' | 'paid' | 'shipped' | 'cancelled';
interface Order {
  id: string;
  customerId: string;
  lines: { sku: string; quantity: number }[];
  status: OrderStatus;
  discountPercent: number;
  paymentId: string | null;
  trackingNumber: string | null;
}
interface OrdersState {
  products: Product[];
  customers: Customer[];
  orders: Order[];
  payments: { id: string; orderId: string; amountCents: number }[];
  shipments: { trackingNumber: string; orderId: string; carrier: string; shippedAt: number }[];
  outbox: { to: string; subject: string; body: string }[];
}

const DISCOUNT_CODES: Record<string, number> = { WELCOME10: 10, LOYAL15: 15 };
const CARRIERS = ['parcelpost', 'swiftship', 'cargoline'] as const;

function initialState(): OrdersState {
  return {
    products: [
      { sku: 'kb-01', name: 'Mechanical keyboard', priceCents: 8900, stock: 5 },
      { sku: 'ms-02', name: 'Wireless mouse', priceCents: 2900, stock: 12 },
      { sku: 'mn-03', name: '27-inch monitor', priceCents: 24900, stock: 0 },
      { sku: 'cb-04', name: 'USB-C cable', priceCents: 900, stock: 40 },
    ],
    customers: [
      { id: 'cus-7', name: 'Ada Park', email: 'ada@example.com', address: '12 Elm Street, Springfield' },
      { id: 'cus-9', name: 'Lin Osei', email: 'lin@example.com', address: '4 Harbour Road, Portsea' },
    ],
    orders: [
      { id: 'ord-1001', customerId: 'cus-7', lines: [{ sku: 'kb-01', quantity: 1 }, { sku: 'ms-02', quantity: 2 }], status: 'new', discountPercent: 0, paymentId: null, trackingNumber: null },
      { id: 'ord-1002', customerId: 'cus-9', lines: [{ sku: 'mn-03', quantity: 1 }], status: 'new', discountPercent: 0, paymentId: null, trackingNumber: null },
    ],
    payments: [],
    shipments: [],
    outbox: [],
  };
}

export function createOrdersEnvironment(): Environment {
  const state = initialState();

  const findOrder = (orderId: string): Order => {
    const order = state.orders.find((candidate) => candidate.id === orderId);
    if (order === undefined) throw new Error(`no order ${orderId}`);
    return order;
  };
  const findProduct = (sku: string): Product => {
    const product = state.products.find((candidate) => candidate.sku === sku);
    if (product === undefined) throw new Error(`no product ${sku}`);
    return product;
  };
  const orderTotal = (order: Order): number => {
    const gross = order.lines.reduce((sum, line) => sum + findProduct(line.sku).priceCents * line.quantity, 0);
    return Math.round(gross * (1 - order.discountPercent / 100));
  };
  const orderExists = (orderId: string) => state.orders.some((order) => order.id === orderId);
  const orderInStatus = <T extends { orderId: string }>(name: string, status: OrderStatus): Precondition<T> => ({
    name,
    check: (input) => {
      const order = state.orders.find((candidate) => candidate.id === input.orderId);
      return order?.status === status ? true : { ok: false, reason: `order ${input.orderId} is ${order?.status ?? 'missing'}, not ${status}`, observed: order?.status ?? null };
    },
  });
  const orderId = z.string().regex(/^ord-\d+$/).describe('Order id, for example "ord-1001"');
  const summary = (order: Order) => ({ ...order, lines: order.lines.map((line) => ({ ...line })), totalCents: orderTotal(order) });

  const actions = new ActionSpace([
    defineAction({
      name: 'list_orders',
      description: 'List orders, optionally only those in one status.',
      input: z.object({ status: z.enum(['new', 'reserved', 'paid', 'shipped', 'cancelled']).optional() }),
      effect: 'read',
      tags: ['orders'],
      group: 'orders',
      run: ({ status }) => state.orders.filter((order) => status === undefined || order.status === status).map(summary),
    }),
    defineAction({
      name: 'get_order',
      description: 'Get one order with its lines, status and total in cents.',
      input: z.object({ orderId }),
      output: z.object({ id: z.string(), customerId: z.string(), status: z.string(), totalCents: z.number().int() }).loose(),
      effect: 'read',
      tags: ['orders'],
      group: 'orders',
      run: ({ orderId: id }) => summary(findOrder(id)),
    }),
    defineAction({
      name: 'get_customer',
      description: 'Get a customer by id: name, e-mail and shipping address.',
      input: z.object({ customerId: z.string().regex(/^cus-\d+$/) }),
      effect: 'read',
      tags: ['customers'],
      group: 'customers',
      run: ({ customerId }) => {
        const customer = state.customers.find((candidate) => candidate.id === customerId);
        if (customer === undefined) throw new Error(`no customer ${customerId}`);
        return { ...customer };
      },
    }),
    defineAction({
      name: 'check_stock',
      description: 'How many units of a product (by sku) are in stock.',
      input: z.object({ sku: z.string().min(1) }),
      output: z.object({ sku: z.string(), stock: z.number().int().nonnegative() }),
      effect: 'read',
      tags: ['inventory'],
      group: 'inventory',
      run: ({ sku }) => ({ sku, stock: findProduct(sku).stock }),
    }),
    defineAction({
      name: 'reserve_stock',
      description: 'Reserve the stock for every line of a new order. Undo with release_stock.',
      input: z.object({ orderId }),
      effect: 'write',
      inverse: 'release_stock',
      cost: 2,
      tags: ['inventory', 'orders'],
      group: 'inventory',
      preconditions: [
        orderInStatus('order-is-new', 'new'),
        {
          name: 'stock-available',
          check: ({ orderId: id }) => {
            if (!orderExists(id)) return { ok: false, reason: `no order ${id}` };
            const short = findOrder(id).lines.filter((line) => findProduct(line.sku).stock < line.quantity);
            return short.length === 0 ? true : { ok: false, reason: `not enough stock for ${short.map((line) => line.sku).join(', ')}`, observed: short.map((line) => line.sku) };
          },
        },
      ],
      run: ({ orderId: id }) => {
        const order = findOrder(id);
        for (const line of order.lines) findProduct(line.sku).stock -= line.quantity;
        order.status = 'reserved';
        return { orderId: id, status: order.status };
      },
    }),
    defineAction({
      name: 'release_stock',
      description: 'Release the stock reserved for an order and set it back to new.',
      input: z.object({ orderId }),
      effect: 'write',
      inverse: 'reserve_stock',
      tags: ['inventory', 'orders'],
      group: 'inventory',
      preconditions: [orderInStatus('order-is-reserved', 'reserved')],
      run: ({ orderId: id }) => {
        const order = findOrder(id);
        for (const line of order.lines) findProduct(line.sku).stock += line.quantity;
        order.status = 'new';
        return { orderId: id, status: order.status };
      },
    }),
    defineAction({
      name: 'apply_discount',
      description: 'Apply a discount code (for example WELCOME10) to a new or reserved order.',
      input: z.object({ orderId, code: z.string().min(1) }),
      effect: 'write',
      reversible: true,
      tags: ['orders', 'pricing'],
      group: 'orders',
      run: ({ orderId: id, code }) => {
        const percent = DISCOUNT_CODES[code.toUpperCase()];
        if (percent === undefined) throw new Error(`unknown discount code ${code}`);
        const order = findOrder(id);
        if (order.status !== 'new' && order.status !== 'reserved') throw new Error(`order ${id} is already ${order.status}`);
        order.discountPercent = percent;
        return { orderId: id, discountPercent: percent, totalCents: orderTotal(order) };
      },
    }),
    defineAction({
      name: 'quote_shipping',
      description: 'Ask the carriers for shipping quotes for an order; returns prices in cents per carrier.',
      input: z.object({ orderId }),
      output: z.object({ orderId: z.string(), quotes: z.array(z.object({ carrier: z.string(), priceCents: z.number().int() })) }),
      effect: 'read',
      tags: ['shipping'],
      group: 'shipping',
      run: async ({ orderId: id }, ctx) => {
        const order = findOrder(id);
        const units = order.lines.reduce((sum, line) => sum + line.quantity, 0);
        // Carrier rates move over time: the lookup stands for a network call, recorded for replay.
        const surcharge = await ctx.record('carrier-surcharge-cents', () => 100 + Math.floor(ctx.random() * 400));
        const quotes = CARRIERS.map((carrier, index) => ({ carrier, priceCents: 499 + index * 150 + units * 120 + surcharge * (index === 1 ? 0 : 1) }));
        return { orderId: id, quotes };
      },
    }),
    defineAction({
      name: 'charge_payment',
      description: "Charge the customer's card for an order. Irreversible: money moves.",
      input: z.object({ orderId, amountCents: z.number().int().positive() }),
      effect: 'irreversible',
      cost: 3,
      tags: ['payments'],
      group: 'payments',
      preconditions: [
        orderInStatus('order-is-reserved', 'reserved'),
        {
          name: 'amount-matches-total',
          check: ({ orderId: id, amountCents }) => {
            if (!orderExists(id)) return { ok: false, reason: `no order ${id}` };
            const total = orderTotal(findOrder(id));
            return amountCents === total ? true : { ok: false, reason: `amount ${amountCents} differs from the order total ${total}`, observed: total };
          },
        },
      ],
      run: ({ orderId: id, amountCents }, ctx) => {
        const order = findOrder(id);
        const paymentId = `pay-${Math.floor(ctx.random() * 1e9).toString(36)}`;
        state.payments.push({ id: paymentId, orderId: id, amountCents });
        order.status = 'paid';
        order.paymentId = paymentId;
        return { paymentId, orderId: id, amountCents };
      },
    }),
    defineAction({
      name: 'ship_order',
      description: 'Hand a paid order to a carrier. Irreversible: the parcel leaves the warehouse.',
      input: z.object({ orderId, carrier: z.enum(CARRIERS) }),
      effect: 'irreversible',
      cost: 3,
      tags: ['shipping'],
      group: 'shipping',
      preconditions: [orderInStatus('order-is-paid', 'paid')],
      run: ({ orderId: id, carrier }, ctx) => {
        const order = findOrder(id);
        const trackingNumber = `${carrier.slice(0, 2).toUpperCase()}${Math.floor(ctx.random() * 1e10).toString().padStart(10, '0')}`;
        state.shipments.push({ trackingNumber, orderId: id, carrier, shippedAt: ctx.now() });
        order.status = 'shipped';
        order.trackingNumber = trackingNumber;
        return { orderId: id, carrier, trackingNumber };
      },
    }),
    defineAction({
      name: 'send_email',
      description: 'Send an e-mail to a customer. Irreversible: it cannot be unsent.',
      input: z.object({ to: z.email(), subject: z.string().min(1).max(200), body: z.string().min(1).max(5000) }),
      effect: 'irreversible',
      tags: ['customers', 'messaging'],
      group: 'messaging',
      run: (message) => {
        state.outbox.push({ ...message });
        return { queued: true, position: state.outbox.length };
      },
    }),
  ]);

  const tasks: EnvironmentTask[] = [
    {
      id: 'fulfil-ord-1001',
      instruction:
        'Fulfil order ord-1001: make sure its items are in stock, reserve them, charge the customer the order total, ship it with the cheapest carrier, and e-mail the customer the tracking number.',
      isDone: (observed) => {
        const view = observed as unknown as OrdersState;
        const order = view.orders.find((candidate) => candidate.id === 'ord-1001');
        return order?.status === 'shipped' && view.outbox.some((mail) => order.trackingNumber !== null && mail.body.includes(order.trackingNumber));
      },
      oracle: fulfilOrderOracle('ord-1001'),
    },
  ];

  return {
    name: 'demo/orders',
    actions,
    tasks,
    observe: () => JSON.parse(JSON.stringify(state)) as JsonValue,
  };
}

export const ordersEnvironment: EnvironmentFactory = {
  name: 'demo/orders',
  description: 'A small shop (orders, stock, payments, shipping, e-mail) with read, write and irreversible actions.',
  create: createOrdersEnvironment,
};
