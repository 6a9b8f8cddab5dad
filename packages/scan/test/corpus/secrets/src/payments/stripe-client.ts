// Payments: the Stripe client (made-up key: this corpus is fake, see README.md)
import Stripe from 'stripe';

const LIVE_KEY = 'sk_live_FAKEyiujDqjgyMz2WAANMErQa4WnOcpM';
const publishable = 'pk_live_FAKEoyeBYGqrShz5SgmqNk4JwERcdCrs';

export const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? LIVE_KEY, { apiVersion: '2024-06-20' });
export const checkoutKey = publishable;
