/**
 * A message template that does not exist (src/domain/i18n/messages.ts throws it): a bug no retry can fix, so the job
 * runner (src/jobs/failures.ts) fails the job at once. Here, below both, so the runner need not import the texts.
 */
export class UnknownTemplateError extends Error {
  override readonly name = 'UnknownTemplateError';
}
