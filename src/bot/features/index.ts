import type { Middleware } from 'telegraf';
import type { BotContext } from '../context';
import { adminFeature } from './admin.feature';
import { avatarFeature } from './avatar.feature';
import { billingFeature } from './billing.feature';
import { fallbackFeature } from './fallback.feature';
import { feedbackFeature } from './feedback.feature';
import { helpFeature } from './help.feature';
import { paymentTermsFeature } from './payment-terms.feature';
import { startFeature } from './start.feature';
import { transcriptFeature } from './transcript.feature';

/** Features in the order they get a chance at an update (audio files before avatars); the fallback comes last. */
export const features: Middleware<BotContext>[] = [startFeature, helpFeature, paymentTermsFeature, billingFeature, adminFeature, feedbackFeature, transcriptFeature, avatarFeature, fallbackFeature];
