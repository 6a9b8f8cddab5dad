import { WebClient } from '@slack/web-api';

const webhook = 'https://hooks.slack.com/services/T1ECY7H3U/BMZW3KHB8KQ/FAKEj2FpS4kRMQhsMkfj3iyd';
const bot = new WebClient('xoxb-884619149631-8139158553413-FAKEgBVXJUDsGuL543bHQiyU');
const fromEnv = new WebClient(process.env.SLACK_BOT_TOKEN);

export async function notify(text: string): Promise<void> {
  await fetch(webhook, { method: 'POST', body: JSON.stringify({ text }) });
  await bot.chat.postMessage({ channel: '#ops', text });
  await fromEnv.chat.postMessage({ channel: '#ops', text });
}
