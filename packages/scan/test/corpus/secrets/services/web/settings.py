import os

DEBUG = False
SECRET_KEY = 'FAKEUGV*m5W2y7^l#K+Gikw%u=!!Qg-ZT5lTtnavmoK9vJ7uGp'
ALLOWED_HOSTS = ['shop.example.com']
DATABASES = {'default': {'PASSWORD': os.environ['DB_PASSWORD'], 'HOST': 'db'}}
PASSWORD_HASHERS = ['django.contrib.auth.hashers.Argon2PasswordHasher']
