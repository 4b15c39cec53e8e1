-- The authorizer step of an exchange (exchange.Authorizer as JSON): its
-- event, answer, decision and the context the function got. NULL when the
-- route has no authorizer. A column of its own rather than meta: it holds
-- an authorizer's event, as large as a request's.
ALTER TABLE exchanges ADD COLUMN authorizer BLOB;
