region = "eu-west-1"
aws_access_key_id = "AKIAFAKEJO7XZKVVQKGJ"
aws_secret_access_key = "FAKEwfunGCdJQyYFAdXwiErT43Xp7KRdVX39ZJ7Z"
instance_type = "t3.small"
