/**
 * OpenAPI schemas of `GET /berichten/{id}` (src/http/describe.ts): a bericht's status, its delivery attempts and
 * the conversation it belongs to. Metadata only, never a body.
 */
export function statusSchemas(): Record<string, unknown> {
  const nullableString = { type: ['string', 'null'] };
  const time = { type: 'string', format: 'date-time' };
  return {
    Attempt: {
      type: 'object',
      properties: {
        attemptNo: { type: 'integer' },
        destination: { type: 'string' },
        startedAt: time,
        durationMs: { type: 'integer' },
        outcome: { enum: ['delivered', 'retry', 'failed'] },
        httpStatus: { type: ['integer', 'null'] },
        reason: nullableString,
        answerMessage: {
          type: ['string', 'null'],
          description: 'The StUF answer the receiver gave (Bv03, Fo03, SOAP Fault), by name only',
          examples: ['Bv03'],
        },
        nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
      },
    },
    LinkedMessage: {
      type: 'object',
      description:
        'A message linked to the heenbericht: a retour, a StUF Bv01/Fo01 (crossRefnummer), a CORV notificatie (zaak identificatie)',
      properties: {
        id: { type: 'string' },
        message: { type: 'string', examples: ['Bv01', 'notificatieDi01', 'WMO302'] },
        direction: { enum: ['heen', 'retour'] },
        status: { type: 'string' },
        receivedAt: time,
        summary: {
          type: ['string', 'null'],
          description: "For the heenbericht's answer: its retourcodes or Fo01 code",
        },
      },
    },
    ThreadEvent: {
      type: 'object',
      required: ['at', 'type', 'id'],
      description:
        'received: the heenbericht arrived; attempt: a delivery attempt of it; linked: a message linked to it arrived',
      properties: {
        at: time,
        type: { enum: ['received', 'attempt', 'linked'] },
        id: { type: 'string', description: 'The heenbericht (received, attempt) or the linked message' },
        message: { type: 'string' },
        status: { type: 'string' },
        attemptNo: { type: 'integer' },
        destination: { type: 'string' },
        outcome: { enum: ['delivered', 'retry', 'failed'] },
        httpStatus: { type: ['integer', 'null'] },
        answerMessage: nullableString,
        direction: { enum: ['heen', 'retour'] },
        receivedAt: time,
        summary: nullableString,
      },
    },
    Bericht: {
      type: 'object',
      required: ['id', 'message', 'status', 'attempts', 'history', 'conversation', 'thread'],
      properties: {
        id: { type: 'string' },
        message: { type: 'string', examples: ['WMO301', 'vtoDi01'] },
        standard: { type: 'string' },
        release: { type: 'string' },
        direction: { enum: ['heen', 'retour'] },
        status: { type: 'string' },
        statusReason: nullableString,
        afzender: nullableString,
        ontvanger: nullableString,
        berichtIdentificatie: nullableString,
        dagtekening: nullableString,
        referentienummer: nullableString,
        receivedAt: time,
        destination: nullableString,
        correlatedTo: { type: ['string', 'null'], description: 'The heenbericht this message is linked to' },
        answer: {
          type: ['object', 'null'],
          description: 'The first answer linked to this heenbericht (a retour, Bv01 or Fo01; never a notificatie)',
          properties: { id: { type: 'string' }, summary: nullableString },
        },
        findings: { type: 'array', items: { $ref: '#/components/schemas/Finding' } },
        attempts: { type: 'array', items: { $ref: '#/components/schemas/Attempt' } },
        history: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              at: time,
              from: nullableString,
              to: { type: 'string' },
              actor: { type: 'string' },
              reason: nullableString,
            },
          },
        },
        conversation: {
          type: 'array',
          description: 'Messages linked to this one, oldest first',
          items: { $ref: '#/components/schemas/LinkedMessage' },
        },
        thread: {
          type: ['object', 'null'],
          description:
            'The whole conversation in order, the same for the heenbericht and every message linked to it: a VTO, its attempts with the Bv03, its Bv01/Fo01 and notificaties',
          properties: {
            heen: {
              type: 'object',
              properties: { id: { type: 'string' }, message: { type: 'string' }, status: { type: 'string' } },
            },
            events: { type: 'array', items: { $ref: '#/components/schemas/ThreadEvent' } },
          },
        },
      },
    },
  };
}
