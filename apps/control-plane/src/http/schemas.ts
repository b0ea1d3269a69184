import { Type, type TSchema } from 'typebox';

/** Shared request and response schemas of the HTTP API (also its OpenAPI document). */

export const ErrorSchema = Type.Object(
  {
    code: Type.String({ description: 'Stable error code, e.g. InvalidParameter.Hostname' }),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Error' },
);

export const PagingQuery = Type.Object(
  {
    pageNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

/** A page of `item`, in the original's shape (totalCount, pageNumber, pageSize). */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    totalCount: Type.Integer(),
    pageNumber: Type.Integer(),
    pageSize: Type.Integer(),
    items: Type.Array(item),
  });
}

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) });
export const SiteItemParams = Type.Object({ siteId: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 64 }) });

/** The 4xx answers every authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
} as const;

export const Timestamp = Type.String({ format: 'date-time' });
