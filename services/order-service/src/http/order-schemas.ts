import { problemResponses, STORABLE_TEXT, uuidSchema } from '@evergreen/http-problem';

// The JSON Schemas of the order routes: Fastify validates requests and serialises answers with
// them, and the OpenAPI document at /docs is generated from them.

const UUID = { type: 'string', format: 'uuid' } as const;

const orderItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'quantity', 'unitPriceCents'],
  properties: {
    sku: { type: 'string', minLength: 1, maxLength: 64, pattern: STORABLE_TEXT, description: 'The article ordered.' },
    quantity: { type: 'integer', minimum: 1, maximum: 10_000 },
    unitPriceCents: { type: 'integer', minimum: 0, maximum: 100_000_000, description: "The price of one unit, in the currency's smallest unit." },
  },
} as const;

/** An order as every route answers it, referred to as `Order#`. */
export const orderSchema = {
  $id: 'Order',
  type: 'object',
  required: ['id', 'userId', 'status', 'items', 'totalCents', 'currency', 'version', 'placedAt', 'cancelledAt'],
  properties: {
    id: UUID,
    userId: UUID,
    status: { type: 'string', enum: ['PLACED', 'CANCELLED'] },
    items: { type: 'array', items: orderItemSchema },
    totalCents: { type: 'integer', description: 'Σ quantity × unitPriceCents.' },
    currency: { type: 'string', description: 'ISO 4217 code.' },
    version: { type: 'integer', description: 'The aggregate version: 1 when placed, 2 once cancelled.' },
    placedAt: { type: 'string', format: 'date-time' },
    cancelledAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const placeOrderSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'items', 'currency'],
  properties: {
    userId: { ...uuidSchema, description: "A user of the order service's replica of the users." },
    items: { type: 'array', minItems: 1, maxItems: 100, items: orderItemSchema },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR.' },
  },
} as const;

/** What a problem status means on the order routes; problemResponses adds 500 and 503, and the common meanings of the rest. */
const ORDER_PROBLEMS: Record<number, string> = {
  404: 'No such order.',
  409: 'The order was already cancelled.',
  413: 'The body is larger than 64 KiB.',
  422: "`userId` is not a user of the service's replica: never registered, deleted, or registered a moment ago and not replicated yet (retry).",
};

/** The problem answers of an order route, for its schema and the OpenAPI document. */
export const orderProblems = (...statuses: number[]) => problemResponses(ORDER_PROBLEMS, ...statuses);
