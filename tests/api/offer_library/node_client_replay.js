// Drives a running offer-catalog with Adobe's own Node client (@adobe/api-client-decisioning),
// unchanged: its Offers client (src/offers.js) over /data/core/xcore and its ODE client
// (src/ode.js) over /data/core/ode. The client is handed a fetch that adds the credentials
// headers, as @adobe/fetch does; every request and its answer are recorded.
// Usage: node node_client_replay.js <gateway> <containerId> <imsOrg>; prints one JSON document.
'use strict';

const { Offers, ODE, DecisioningSchemas } = require('@adobe/api-client-decisioning');

const [gateway, containerId, imsOrg] = process.argv.slice(2);
const OM = 'https://ns.adobe.com/experience/offer-management/';
const WEB = 'https://ns.adobe.com/xdm/channel-types/web';
const HTML = OM + 'content-component-html';
const exchanges = [];

async function authFetch(url, options) {
  const headers = Object.assign({}, options.headers, {
    authorization: 'Bearer node-client-token',
    'x-api-key': 'node-client',
    'x-gw-ims-org-id': imsOrg
  });
  const response = await fetch(url, Object.assign({}, options, { headers }));
  const text = await response.clone().text();
  exchanges.push({
    method: options.method,
    url,
    headers,
    body: options.body === undefined ? null : JSON.parse(options.body),
    status: response.status,
    contentType: response.headers.get('content-type'),
    location: response.headers.get('location'),
    response: text ? JSON.parse(text) : null
  });
  return response;
}

function representation(placement, content) {
  return {
    'xdm:channel': WEB,
    'xdm:placement': placement,
    'xdm:components': [
      { '@type': HTML, 'dc:format': 'text/html', 'dc:language': ['en'], 'xdm:content': content }
    ]
  };
}

async function main() {
  const opts = { containerId, gateway };
  const offers = new Offers(authFetch, opts);
  const ode = new ODE(authFetch, opts);
  const out = {};

  out.home = await offers.getHome();
  // createInstance: a HAL body ({"_instance": ...}, no _links) under the versionless schema
  const create = (instance, schema) => offers.createInstance({ _instance: instance }, schema);
  const placement = await create(
    { 'xdm:name': 'Node web banner', 'xdm:channel': WEB, 'xdm:componentType': HTML },
    DecisioningSchemas.Placement
  );
  const tag = await create({ 'xdm:name': 'node offers' }, OM + 'tag');
  const window = { 'xdm:startDate': '2020-01-01T00:00:00Z', 'xdm:endDate': '2099-01-01T00:00:00Z' };
  const offer = await create(
    {
      'xdm:name': 'Node offer',
      'xdm:status': 'approved',
      'xdm:representations': [representation(placement['@id'], '<p>node</p>')],
      'xdm:selectionConstraint': window,
      'xdm:rank': { 'xdm:priority': 5 },
      'xdm:tags': [tag['@id']]
    },
    DecisioningSchemas.PersonalizedOffer
  );
  const fallback = await create(
    {
      'xdm:name': 'Node fallback',
      'xdm:status': 'approved',
      'xdm:representations': [representation(placement['@id'], '<p>fallback</p>')]
    },
    DecisioningSchemas.FallbackOffer
  );
  const filter = await create(
    { 'xdm:name': 'Node collection', 'xdm:filterType': 'anyTags', 'xdm:ids': [tag['@id']] },
    DecisioningSchemas.Filter
  );
  const activity = await create(
    {
      'xdm:name': 'Node decision',
      'xdm:status': 'live',
      'xdm:placement': placement['@id'],
      'xdm:filter': filter['@id'],
      'xdm:fallback': fallback['@id']
    },
    DecisioningSchemas.Activity
  );
  out.created = { placement, tag, offer, fallback, filter, activity };

  out.placements = await offers.getPlacements();
  out.approvedOffers = await offers.getOffers({ property: '_instance.xdm:status==approved' });
  out.fallbackOffers = await offers.getFallbackOffers();
  out.filters = await offers.getFilters();
  out.activities = await offers.getActivities({ orderby: '-repo:createdDate', limit: 1 });
  out.instance = await offers.getInstance(offer.instanceId);

  out.activityOffers = await ode.offers(activity['@id']);
  out.diagnostics = await ode.diagnostics();
  out.decision = await ode.decisions({
    'xdm:offerActivities': [{ 'xdm:offerActivity': activity['@id'] }],
    'xdm:identityMap': { Email: [{ 'xdm:id': 'node@example.com' }] }
  });
  return out;
}

main().then(
  out => process.stdout.write(JSON.stringify({ ok: true, out, exchanges })),
  err => {
    process.stdout.write(JSON.stringify({ ok: false, error: err, exchanges }));
    process.exitCode = 1;
  }
);
