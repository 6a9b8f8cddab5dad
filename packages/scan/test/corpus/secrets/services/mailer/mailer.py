import os
import sendgrid
from twilio.rest import Client

SENDGRID_KEY = "SG.FAKE75-zjGVUZDOQfpIose.FAKE6OaBGFw0dbLdX656LcEiLjf2k4ZcmkPu1o3JKsK"
twilio = Client("SK8bec794ab7db950fc9b8ddeff94b53d6", os.environ["TWILIO_API_SECRET"], os.environ["TWILIO_ACCOUNT_SID"])
mail = sendgrid.SendGridAPIClient(api_key=SENDGRID_KEY)
