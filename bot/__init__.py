"""NET FAQ assistant core: knowledge base, safety, referral, retrieval and reply composition.

Pure Python: nothing here imports rasa or rasa_sdk, so it is unit-tested without a server.
"""
